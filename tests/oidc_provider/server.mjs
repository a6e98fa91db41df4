// node-oidc-provider (OpenID Certified) dressed up where msal relies on Entra's behaviour.
//
// Usage: node server.mjs SETTINGS.json
// The settings file (written by the pytest fixture) holds the TLS certificate and key paths,
// the port (0 picks a free one), the tenant path segment, the client registrations and the users.
// Once listening, one line is printed: "READY <authority>".
//
// Layout: the authority is https://localhost:PORT/<tenant>, the issuer <authority>/v2.0 and the
// discovery document <authority>/v2.0/.well-known/openid-configuration, as on Entra.
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';

import Provider, { errors } from 'oidc-provider';

const settings = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const tenant = `/${settings.tenant}`;
const users = new Map(settings.users.map((user) => [user.uid, user]));
const routes = {
  authorization: '/oauth2/v2.0/authorize',
  token: '/oauth2/v2.0/token',
  device_authorization: '/oauth2/v2.0/devicecode',
  code_verification: '/oauth2/deviceauth',
  jwks: '/discovery/v2.0/keys',
  userinfo: '/oidc/userinfo',
  end_session: '/oauth2/v2.0/logout',
};
const DISCOVERY = '/v2.0/.well-known/openid-configuration';

const base64url = (buffer) => Buffer.from(buffer).toString('base64url');

// --- clients -------------------------------------------------------------------------------

/** A client registration with its certificates turned into a JWKS (public key + x5c). */
function registration(client) {
  const { certificates, ...metadata } = client;
  if (certificates) {
    metadata.jwks = {
      keys: certificates.map((path) => {
        const cert = new X509Certificate(readFileSync(path));
        return { ...cert.publicKey.export({ format: 'jwk' }), x5c: [cert.raw.toString('base64')] };
      }),
    };
  }
  return metadata;
}

/** Entra requires the assertion's x5t / x5t#S256 to name a registered certificate. */
async function assertJwtClientAuthClaimsAndHeader(ctx, claims, header, client) {
  const thumbprints = { x5t: 'sha1', 'x5t#S256': 'sha256' };
  const present = Object.keys(thumbprints).filter((name) => header[name] !== undefined);
  if (!present.length) {
    throw new errors.InvalidClientAuth('the client assertion header names no certificate (x5t)');
  }
  const ders = (client.jwks?.keys || []).flatMap((key) => key.x5c || []).map((b64) => Buffer.from(b64, 'base64'));
  for (const name of present) {
    const given = String(header[name]).replace(/=+$/, ''); // Padding is tolerated, as Entra does
    if (!ders.some((der) => base64url(createHash(thumbprints[name]).update(der).digest()) === given)) {
      throw new errors.InvalidClientAuth(`${name} matches no certificate registered for this client`);
    }
  }
}

// --- users ---------------------------------------------------------------------------------

async function findAccount(ctx, uid) {
  const user = users.get(uid);
  if (!user) return undefined;
  return {
    accountId: uid,
    async claims() {
      return { sub: uid, name: user.name, preferred_username: user.username, email: user.username };
    },
  };
}

// --- resources -----------------------------------------------------------------------------

/** `api://demo/read` belongs to `api://demo`: the resource is the scope minus its last segment. */
function resourceOfScopes(scope) {
  const found = String(scope || '').split(' ').find((s) => /^[a-z]+:\/\/.+\/[^/]+$/i.test(s));
  return found ? found.slice(0, found.lastIndexOf('/')) : undefined;
}

const resourceIndicators = {
  enabled: true,
  defaultResource: async (ctx, client, oneOf) => oneOf || resourceOfScopes(ctx.oidc.params?.scope),
  useGrantedResource: async () => true,
  getResourceServerInfo: async (ctx, resource) => {
    const known = settings.resources[resource];
    if (!known) throw new errors.InvalidTarget(`unknown resource ${resource}`);
    return {
      scope: known.map((name) => `${resource}/${name}`).join(' '),
      audience: resource,
      accessTokenFormat: 'jwt',
      accessTokenTTL: 3600,
      jwt: { sign: { alg: 'RS256' } },
    };
  },
};

// --- the provider --------------------------------------------------------------------------

function makeProvider(authority) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(`${authority}/v2.0`, {
    clients: settings.clients.map(registration),
    findAccount,
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'signing-1', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    routes,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
    conformIdTokenClaims: false,
    assertJwtClientAuthClaimsAndHeader,
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      resourceIndicators,
      revocation: { enabled: true },
    },
    ttl: { DeviceCode: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  });
  provider.use(entraResponses);
  return provider;
}

/** Token and device responses gain what Entra sends and msal uses. */
async function entraResponses(ctx, next) {
  await next();
  const body = ctx.body;
  if (!body || typeof body !== 'object' || Buffer.isBuffer(body)) return;
  if (ctx.oidc?.route === 'token' && body.id_token) {
    const { sub } = JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url'));
    body.client_info = base64url(JSON.stringify({ uid: sub, utid: settings.tenantId }));
  }
  if (ctx.oidc?.route === 'device_authorization' && body.device_code) {
    body.interval = settings.deviceInterval;
  }
}

// --- the HTTP front: mount under /<tenant>, Entra paths, sign-in rules --------------------

/** The path and query the provider sees, or null when the request is not for this tenant. */
function rewrite(req) {
  const url = new URL(req.url, 'https://localhost');
  if (!url.pathname.startsWith(`${tenant}/`)) return null;
  let path = url.pathname.slice(tenant.length);
  if (path === DISCOVERY) path = '/.well-known/openid-configuration';
  const query = parseQuery(url.search.slice(1));
  if (path === routes.authorization && req.method === 'GET') consentForOfflineAccess(query);
  const search = stringifyQuery(query);
  return search ? `${path}?${search}` : path;
}

/** OIDC Core §11 drops offline_access without prompt=consent; Entra always honours it. */
function consentForOfflineAccess(params) {
  if (!params.prompt && String(params.scope || '').split(' ').includes('offline_access')) {
    params.prompt = 'consent';
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The built-in login page takes any name; here the user must exist and give the password. */
async function checkLogin(req, res) {
  const raw = await readBody(req);
  const form = parseQuery(raw);
  if (form.prompt !== 'login') return raw;
  const user = [...users.values()].find((u) => u.username.toLowerCase() === String(form.login).toLowerCase());
  if (!user || user.password !== form.password) {
    res.writeHead(401, { 'content-type': 'text/plain' }).end('Wrong user name or password');
    return null;
  }
  return stringifyQuery({ ...form, login: user.uid });
}

function frontDoor(provider) {
  const callback = provider.callback();
  return async (req, res) => {
    const inner = rewrite(req);
    if (inner === null) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    if (req.method === 'POST' && inner.startsWith('/interaction/')) {
      const body = await checkLogin(req, res);
      if (body === null) return;
      req.body = body; // oidc-provider reads an already consumed body from here
    }
    req.url = inner;
    req.originalUrl = tenant + inner; // oidc-provider derives its mount path from the two
    callback(req, res);
  };
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address().port));
  });
}

async function main() {
  const tls = { cert: readFileSync(settings.tlsCert), key: readFileSync(settings.tlsKey) };
  let handler = (req, res) => res.writeHead(503).end();
  const dispatch = (req, res) => handler(req, res);
  const v4 = createServer(tls, dispatch);
  const port = await listen(v4, settings.port || 0, '127.0.0.1');
  const v6 = createServer(tls, dispatch);
  await listen(v6, port, '::1').catch(() => v6.close()); // "localhost" may resolve to ::1 first
  const authority = `https://localhost:${port}${tenant}`;
  handler = frontDoor(makeProvider(authority));
  process.stdout.write(`READY ${authority}\n`);
  const stop = () => { v4.close(); v6.close(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
