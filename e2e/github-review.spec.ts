import { expect, test } from "@playwright/test";
import { fakeGitHub, signIn, taskRow } from "./support/session";

type Conversation = {
  comments: { id: number; user: string; body: string; reactions: { content: string; user: string }[] }[];
  reviews: { user: string; state: string; body: string; comments: { path: string; line: number; side: string; body: string }[] }[];
};

const SUM_WITH_STRINGS = "function sum(numbers) {\n  let total = 0;\n  for (const n of numbers) total += Number(n);\n  return total;\n}\n\nmodule.exports = { sum };\n";

test("@patchbay review on a pull request: the fake GitHub's signed delivery reaches the app, the review is posted inline, and the task is on alice's board with a link back", async ({ page }) => {
  await signIn(page, "alice");
  const branch = `e2e/review-${Date.now().toString(36)}`;
  await fakeGitHub("/_fake/repos/acme/widgets/commits", { branch, files: { "src/sum.js": SUM_WITH_STRINGS }, message: "sum takes numeric strings" });
  const pull = (await fakeGitHub("/_fake/repos/acme/widgets/pulls", { user: "alice", head: branch, title: "sum() takes numeric strings" })) as { number: number };
  const { comment, delivery } = (await fakeGitHub(`/_fake/repos/acme/widgets/issues/${pull.number}/comments`, { user: "alice", body: "@patchbay review" })) as {
    comment: { id: number; html_url: string };
    delivery: { status: number };
  };
  expect(delivery.status).toBe(202);

  const conversation = () => fakeGitHub(`/_fake/repos/acme/widgets/issues/${pull.number}/conversation`, undefined, "GET") as Promise<Conversation>;
  await expect.poll(async () => (await conversation()).reviews.length, { timeout: 60_000 }).toBe(1);
  const convo = await conversation();
  expect(convo.comments[0].reactions).toEqual([{ content: "eyes", user: "patchbay-fake[bot]" }]);
  expect(convo.reviews[0].comments.map((c) => [c.path, c.line, c.side])).toEqual([
    ["src/sum.js", 3, "RIGHT"],
    ["src/sum.js", 1, "RIGHT"],
  ]);
  expect(convo.reviews[0].body).toContain("`src/greet.js:2` **P2**");

  await page.goto("/");
  const title = `Review pull request #${pull.number} of acme/widgets: "sum() takes numeric strings"`;
  const row = taskRow(page, title);
  await expect(row).toBeVisible();
  await row.getByRole("link").click();
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  const origin = page.getByTestId("task-origin");
  await expect(origin.getByRole("link", { name: `@alice’s comment on acme/widgets#${pull.number}` })).toHaveAttribute("href", comment.html_url);
  await expect(origin.getByRole("link", { name: "View the review" })).toHaveAttribute("href", new RegExp(`/pull/${pull.number}#pullrequestreview-\\d+$`));
});
