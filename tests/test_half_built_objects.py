"""``repr()`` and ``str()`` on half-built objects: what a debugger, ``logging`` or a traceback
with locals shows for ``self`` in a constructor that raised, or for an object ``__new__`` made.
They must describe the object, never raise."""

import dataclasses
import importlib
import inspect
import logging
import pkgutil
import sys

import pytest

import msal

pytestmark = pytest.mark.unit


def _hand_written_dunders():
    """Every class of the package with its own ``__repr__`` or ``__str__`` (dataclasses' are
    generated, and their constructor sets every field before anything can fail; named tuples
    are never half-built)."""
    found = {}
    for info in pkgutil.walk_packages(msal.__path__, "msal."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != info.name or dataclasses.is_dataclass(cls) or issubclass(cls, tuple):
                continue
            if "__repr__" in vars(cls) or "__str__" in vars(cls):
                found["%s.%s" % (cls.__module__, cls.__qualname__)] = cls
    return found


DUNDERS = _hand_written_dunders()


def test_the_classes_with_their_own_repr_are_found():
    assert {
        "msal.application.ClientApplication",
        "msal.authority.AuthorityBuilder",
        "msal.exceptions.MsalServiceError",
        "msal.managed_identity.ManagedIdentity",
        "msal.persistence.PersistedTokenCache",
    } <= set(DUNDERS)


@pytest.mark.parametrize("name", sorted(DUNDERS))
def test_an_object_made_by_new_alone_has_a_repr_and_a_str(name):
    cls = DUNDERS[name]
    obj = cls.__new__(cls)
    for describe in (repr, str):
        text = describe(obj)
        assert isinstance(text, str) and text, (name, describe)
    # logging formats its arguments only when the record is emitted
    record = logging.LogRecord("msal", logging.DEBUG, __file__, 1, "app %r, %s", (obj, obj), None)
    assert record.getMessage().startswith("app ")


@pytest.mark.parametrize(
    "cls", [msal.PublicClientApplication, msal.ConfidentialClientApplication, msal.ClientApplication]
)
def test_new_alone_names_the_application_class(cls):
    assert repr(cls.__new__(cls)) == "<%s (not fully initialised)>" % cls.__name__


def _self_of_the_raising_constructor():
    """The ``self`` of the innermost ``__init__`` frame of the exception being handled."""
    tb, found = sys.exc_info()[2], None
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "__init__" and "self" in tb.tb_frame.f_locals:
            found = tb.tb_frame.f_locals["self"]
        tb = tb.tb_next
    assert found is not None, "no constructor frame in the traceback"
    return found


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: msal.PublicClientApplication("id", authority="not a url"), id="authority"),
        pytest.param(lambda: msal.PublicClientApplication(""), id="client-id"),
        pytest.param(lambda: msal.ConfidentialClientApplication("id"), id="no-credential"),
        pytest.param(
            lambda: msal.ConfidentialClientApplication("id", client_credential={"thumbprint": "x"}),
            id="certificate",
        ),
        pytest.param(lambda: msal.UserAssignedManagedIdentity(), id="user-assigned-identity"),
        pytest.param(lambda: msal.PopAuthScheme("get", "https://x", "n"), id="pop-scheme"),
    ],
)
def test_the_self_of_a_constructor_that_raised_has_a_repr(build):
    with pytest.raises((ValueError, TypeError, msal.ManagedIdentityError)):
        try:
            build()
        except Exception:
            half_built = _self_of_the_raising_constructor()
            assert type(half_built).__name__ in repr(half_built)
            assert str(half_built)
            raise


def test_a_whole_application_still_shows_its_client_id_and_authority():
    app = msal.PublicClientApplication("my-client", authority="https://login.microsoftonline.com/contoso")
    assert repr(app) == (
        "PublicClientApplication(client_id='my-client', "
        "authority='https://login.microsoftonline.com/contoso')"
    )
