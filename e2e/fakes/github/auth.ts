import type { IncomingMessage } from "node:http";
import type { Fake } from "./context";
import { badCredentials, DOCS_URL, HttpError } from "./http-util";
import { looksLikeJwt, verifyAppJwt } from "./jwt";
import type { Principal } from "./state";

/** The secret carried by an Authorization header: `token X`, `Bearer X`, or Basic with X as password. */
export function credentialFrom(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const m = /^(\w+)\s+(.+)$/.exec(header.trim());
  if (!m) return "";
  const scheme = m[1].toLowerCase();
  if (scheme === "token" || scheme === "bearer") return m[2].trim();
  if (scheme === "basic") {
    const decoded = Buffer.from(m[2], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const pass = colon < 0 ? "" : decoded.slice(colon + 1);
    // git and GitHub accept the token as the password, or as the user name with an empty password.
    return pass || user;
  }
  return "";
}

/** Who the request is: null when anonymous; throws 401 Bad credentials for any wrong or expired secret. */
export function authenticate(fake: Fake, req: IncomingMessage): Principal | null {
  const secret = credentialFrom(req);
  if (secret === null) return null;
  if (looksLikeJwt(secret)) {
    const result = verifyAppJwt(secret, fake.appPublicKey, fake.state.app.id);
    if (!result.ok) throw new HttpError(401, result.message, { documentation_url: DOCS_URL });
    return { kind: "app" };
  }
  const p = fake.state.principalForToken(secret);
  if (!p) throw badCredentials();
  return p;
}

export function requireAuth(fake: Fake, req: IncomingMessage): Principal {
  const p = authenticate(fake, req);
  if (!p) throw new HttpError(401, "Requires authentication", { documentation_url: DOCS_URL });
  return p;
}

export function requireUser(fake: Fake, req: IncomingMessage): Principal & { kind: "user" } {
  const p = requireAuth(fake, req);
  if (p.kind === "user") return p;
  if (p.kind === "installation") throw new HttpError(403, "Resource not accessible by integration", { documentation_url: DOCS_URL });
  throw new HttpError(403, "A JSON web token cannot be used to authenticate to this endpoint.", { documentation_url: DOCS_URL });
}

export function requireApp(fake: Fake, req: IncomingMessage): void {
  const p = requireAuth(fake, req);
  if (p.kind !== "app") {
    throw new HttpError(401, "A JSON web token could not be decoded", { documentation_url: DOCS_URL });
  }
}
