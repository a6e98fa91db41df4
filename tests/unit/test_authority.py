"""Authority parsing: what is accepted, what is refused and why."""

import pytest

from msal.authority import AZURE_CHINA, AuthorityBuilder, parse_authority


@pytest.mark.parametrize(
    "url,instance,tenant,kind,env",
    [
        (
            "https://login.microsoftonline.com/common",
            "login.microsoftonline.com",
            "common",
            "aad",
            "login.microsoftonline.com",
        ),
        (
            "https://login.microsoftonline.com/organizations/",
            "login.microsoftonline.com",
            "organizations",
            "aad",
            "login.microsoftonline.com",
        ),
        (
            "https://login.microsoftonline.com/consumers",
            "login.microsoftonline.com",
            "consumers",
            "aad",
            "login.microsoftonline.com",
        ),
        (
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47",
            "login.microsoftonline.com",
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "aad",
            "login.microsoftonline.com",
        ),
        (
            "https://Login.MicrosoftOnline.com/contoso.onmicrosoft.com",
            "login.microsoftonline.com",
            "contoso.onmicrosoft.com",
            "aad",
            "login.microsoftonline.com",
        ),
        ("https://adfs.contoso.com/adfs", "adfs.contoso.com", "adfs", "adfs", "adfs.contoso.com"),
        (
            "https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signupsignin",
            "contoso.b2clogin.com",
            "contoso.onmicrosoft.com",
            "b2c",
            "contoso.b2clogin.com",
        ),
        (
            "https://contoso.ciamlogin.com",
            "contoso.ciamlogin.com",
            "contoso.onmicrosoft.com",
            "ciam",
            "contoso.ciamlogin.com",
        ),
        ("https://localhost:8443/tenant1", "localhost:8443", "tenant1", "aad", "localhost"),
    ],
)
def test_accepted(url, instance, tenant, kind, env):
    authority = parse_authority(url)
    assert (authority.instance, authority.tenant, authority.kind, authority.environment) == (
        instance,
        tenant,
        kind,
        env,
    )


def test_default_is_common_on_the_public_cloud():
    assert parse_authority(None).url == "https://login.microsoftonline.com/common"


def test_builder():
    authority = parse_authority(AuthorityBuilder(AZURE_CHINA, "contoso.partner.onmschina.cn"))
    assert authority.url == "https://login.chinacloudapi.cn/contoso.partner.onmschina.cn"
    assert authority.is_well_known


def test_b2c_keeps_its_policy():
    authority = parse_authority("https://contoso.b2clogin.com/contoso.onmicrosoft.com/b2c_1_susi")
    assert authority.url == "https://contoso.b2clogin.com/contoso.onmicrosoft.com/b2c_1_susi"


@pytest.mark.parametrize(
    "bad,says",
    [
        ("http://login.microsoftonline.com/common", "https"),
        ("login.microsoftonline.com/common", "https"),
        ("https://login.microsoftonline.com", "no tenant"),
        ("https://user:pw@login.microsoftonline.com/common", "plain https URL"),
        ("https://login.microsoftonline.com:notaport/common", "port"),
        (42, "string"),
        ("", "https"),
    ],
)
def test_refused_with_a_message_that_says_what_is_expected(bad, says):
    with pytest.raises(ValueError) as info:
        parse_authority(bad)
    assert says in str(info.value)
    assert "https://login.microsoftonline.com/<tenant>" in str(info.value)


@pytest.mark.parametrize("tail", ["?x=1", "#frag", "/?x=1#y", "?"])
def test_a_query_or_fragment_is_ignored_as_the_original_does(tail):
    plain = "https://login.microsoftonline.com/contoso.onmicrosoft.com"
    assert parse_authority(plain + tail) == parse_authority(plain)
    assert parse_authority(plain + tail).url == plain


def test_a_parsed_authority_is_an_immutable_value():
    import pickle

    a = parse_authority("https://Login.Microsoftonline.com:443/Contoso.onmicrosoft.com")
    b = parse_authority("https://login.microsoftonline.com:443/Contoso.onmicrosoft.com")
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != parse_authority("https://login.microsoftonline.com/other.onmicrosoft.com")
    assert a != "https://login.microsoftonline.com:443/Contoso.onmicrosoft.com"
    assert (a.instance, a.environment, a.tenant, a.kind) == (
        "login.microsoftonline.com:443",
        "login.microsoftonline.com",
        "Contoso.onmicrosoft.com",
        "aad",
    )
    assert a.url == "https://login.microsoftonline.com:443/Contoso.onmicrosoft.com"
    with pytest.raises(AttributeError):
        a.tenant = "other"
    with pytest.raises(AttributeError):
        del a.kind
    copy = pickle.loads(pickle.dumps(a))
    assert copy == a and copy.url == a.url and copy.environment == a.environment
    assert repr(a) == (
        "Authority(instance='login.microsoftonline.com:443', tenant='Contoso.onmicrosoft.com', "
        "kind='aad', path=('Contoso.onmicrosoft.com',))"
    )


@pytest.mark.parametrize(
    "tenant, self_named",
    [
        ("common", True),
        ("organizations", True),
        ("72f988bf-86f1-41af-91ab-2d7cd011db47", True),
        ("consumers", False),
        ("contoso.onmicrosoft.com", False),
        ("72F988BF-86F1-41AF-91AB-2D7CD011DB47", False),  # (its realm is taken from discovery)
    ],
)
def test_whether_the_tenant_is_spelt_as_its_token_endpoint_spells_it(tenant, self_named):
    assert parse_authority("https://login.microsoftonline.com/" + tenant).tenant_self_named is self_named
