import { describe } from "./board.js";
import { byId } from "./dom.js";
export class VerifyBanner {
    api;
    email = "";
    button = byId("verify-resend");
    constructor(api) {
        this.api = api;
        this.button.addEventListener("click", () => void this.resend());
    }
    show(me) {
        this.email = me.email;
        byId("verify-banner").hidden = me.email_verified;
        byId("verify-email").textContent = me.email;
        byId("verify-status").textContent = "";
        this.button.disabled = false;
    }
    hide() {
        byId("verify-banner").hidden = true;
    }
    async resend() {
        const status = byId("verify-status");
        this.button.disabled = true;
        try {
            await this.api.resendVerificationEmail({ email: this.email });
            status.textContent = `A new link is on its way to ${this.email}. Open it to confirm your address.`;
            setTimeout(() => (this.button.disabled = false), 30_000); // one click, one email
        }
        catch (error) {
            status.textContent = describe(error);
            this.button.disabled = false;
        }
    }
}
