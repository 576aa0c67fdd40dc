import { describe } from "./board.js";
import { confirmAction } from "./confirm.js";
import { byId, formValue, formatDate, h } from "./dom.js";
export class TokensPanel {
    api;
    form = byId("tokens-form");
    constructor(api) {
        this.api = api;
        this.form.addEventListener("submit", (event) => {
            event.preventDefault();
            void this.create();
        });
    }
    async refresh() {
        const tokens = await this.api.listPersonalAccessTokens();
        byId("token-list").replaceChildren(...tokens.map((token) => this.row(token)));
    }
    row(token) {
        const used = token.last_used_at ? `last used ${formatDate(token.last_used_at)}` : "never used";
        const expires = token.expires_at ? `, expires ${formatDate(token.expires_at)}` : "";
        return h("li", { "data-token": token.id }, h("strong", {}, token.name), ` ${token.prefix}… · ${token.scopes.join(", ")} · ${used}${expires} `, h("button", { type: "button", class: "secondary", onclick: () => void this.revoke(token) }, "Revoke"));
    }
    async create() {
        const errors = byId("tokens-errors");
        errors.textContent = "";
        const scopes = ["read", "write"].filter((scope) => byId(`token-${scope}`).checked);
        const name = formValue(this.form, "name").trim();
        if (!name || scopes.length === 0) {
            errors.textContent = !name ? "Give the token a name." : "Choose at least one scope.";
            return;
        }
        try {
            const created = await this.api.createPersonalAccessToken({ name, scopes });
            byId("token-created").hidden = false;
            const secret = byId("token-secret");
            secret.value = created.token;
            secret.select();
            byId("token-name").value = "";
            await this.refresh();
        }
        catch (error) {
            errors.textContent = describe(error);
        }
    }
    async revoke(token) {
        const question = `Revoke the token "${token.name}"?`;
        if (!(await confirmAction(question, "Whatever uses it stops working at once.", "Revoke")))
            return;
        try {
            await this.api.revokePersonalAccessToken(token.id);
            await this.refresh();
        }
        catch (error) {
            byId("tokens-errors").textContent = describe(error);
        }
    }
}
