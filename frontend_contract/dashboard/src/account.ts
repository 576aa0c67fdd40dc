// The unverified-address banner: shown while `GET /me` says `email_verified: false`, with a button
// that asks for a new verification email (POST /auth/verify-email/resend answers 202 either way).
import type { ApiClient, Schemas } from "../../client/index.js";
import { describe } from "./board.js";
import { byId } from "./dom.js";

export class VerifyBanner {
  private email = "";
  private readonly button = byId<HTMLButtonElement>("verify-resend");

  constructor(private readonly api: ApiClient) {
    this.button.addEventListener("click", () => void this.resend());
  }

  show(me: Schemas["UserOut"]): void {
    this.email = me.email;
    byId("verify-banner").hidden = me.email_verified;
    byId("verify-email").textContent = me.email;
    byId("verify-status").textContent = "";
    this.button.disabled = false;
  }

  hide(): void {
    byId("verify-banner").hidden = true;
  }

  private async resend(): Promise<void> {
    const status = byId("verify-status");
    this.button.disabled = true;
    try {
      await this.api.resendVerificationEmail({ email: this.email });
      status.textContent = `A new link is on its way to ${this.email}. Open it to confirm your address.`;
      setTimeout(() => (this.button.disabled = false), 30_000); // one click, one email
    } catch (error) {
      status.textContent = describe(error);
      this.button.disabled = false;
    }
  }
}
