// A tiny tour of the client: sign up, sign in, listen live, upload a resume, track an application.
// Type-checked with the client (`npm run check`); run it in a browser module or Node 22+ (fetch, WebSocket).
import { ApiClient, Realtime, memoryTokenStore, pages } from "../client/index.js";

export async function demo(baseUrl: string, pdf: Blob): Promise<void> {
  const api = new ApiClient({ baseUrl, tokens: memoryTokenStore(), onSignedOut: () => console.log("signed out") });
  const credentials = { email: "ada@example.com", password: "correct horse battery" };
  // 202 whether or not the address already has an account (an email tells its owner which).
  await api.register({ ...credentials, full_name: "Ada Lovelace" });
  await api.login(credentials); // access + refresh token; the client refreshes on 401 by itself

  const live = new Realtime(api, { onReset: () => console.log("history gap: refetch over REST") });
  live.on("resume.parse.progress", (event) => console.log(`parsing: ${event.data.stage} ${event.data.percent}%`));
  live.on("resume.parsed", async (event) => {
    const version = await api.getResumeVersion(event.data.resume_id, event.data.version_id);
    console.log("parsed", version.parsed);
  });
  live.on("application.changed", (event) => console.log(`application ${event.data.application_id}: ${event.data.op}`));
  live.start(); // load REST state after it opens: nothing published from then on is missed

  const resume = await api.uploadResume(pdf, "cv.pdf", "My resume"); // 202: parsing continues in a worker
  console.log("uploaded", resume.id, resume.latest_version?.status);

  const created = await api.createApplication({ company: "Analytical Engines", role: "Programmer" });
  await api.updateApplication(created.id, { status: "applied" });
  for (const step of await api.listApplicationEvents(created.id)) console.log(step.at, step.from_status, "->", step.to_status);
  for await (const application of pages((cursor) => api.listApplications({ limit: 50, cursor }))) {
    console.log(application.company, application.status);
  }
  live.stop();
  await api.logout();
}
