// An @azure/msal-node app written for the real cloud: nothing in it knows about the emulator.
//   node app.mjs client-credentials | device-code
// Settings come from the environment: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
// and HTTPS_PROXY when the network needs a proxy. Prints the outcome as one JSON line.
import { ConfidentialClientApplication, PublicClientApplication } from "@azure/msal-node";

const env = process.env;
const auth = {
  clientId: env.AZURE_CLIENT_ID,
  authority: `https://login.microsoftonline.com/${env.AZURE_TENANT_ID}`,
};
const system = env.HTTPS_PROXY ? { proxyUrl: env.HTTPS_PROXY } : {};

function claims(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
}

async function clientCredentials() {
  const app = new ConfidentialClientApplication({
    auth: { ...auth, clientSecret: env.AZURE_CLIENT_SECRET }, system });
  return app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
}

async function deviceCode() {
  const app = new PublicClientApplication({ auth, system });
  return app.acquireTokenByDeviceCode({
    scopes: ["User.Read"],
    deviceCodeCallback: (response) => console.log(response.message),
  });
}

const scenario = { "client-credentials": clientCredentials, "device-code": deviceCode }[process.argv[2]];
try {
  const result = await scenario();
  console.log(JSON.stringify({ claims: claims(result.accessToken),
                               account: result.account ? result.account.username : null }));
} catch (error) {
  console.log(JSON.stringify({ error: error.errorCode || String(error), message: error.message }));
  process.exitCode = 1;
}
