import type { KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakeState } from "./state";
import type { WebhookSender } from "./webhooks";

/** What every handler can reach: the state, the fake's own URLs and the App's public key. */
export type Fake = {
  state: FakeState;
  webUrl: string;
  apiUrl: string;
  appPublicKey: KeyObject;
  /** The App's webhook: where deliveries go, the secret they are signed with, what was sent. */
  webhooks: WebhookSender;
  /** Re-creates every bare repository from the fixture. */
  recreateRepos(): Promise<void>;
};

export type Ctx = {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Percent-decoded regex captures of the route's pattern. */
  params: string[];
  fake: Fake;
};

export type Route = { method: string; pattern: RegExp; handler: (ctx: Ctx) => Promise<void> | void };
