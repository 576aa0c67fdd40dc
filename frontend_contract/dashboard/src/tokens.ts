// Personal access tokens (GET/POST /me/tokens, DELETE /me/tokens/{id}): create one with its scopes (the
// secret is shown once, selected for copying), list them with their last use, revoke after a confirmation.
import type { ApiClient, ResultOf, operations } from "../../client/index.js";
import { describe } from "./board.js";
import { confirmAction } from "./confirm.js";
import { byId, formValue, formatDate, h } from "./dom.js";

type Token = ResultOf<operations["listPersonalAccessTokens"]>[number];

export class TokensPanel {
  private readonly form = byId<HTMLFormElement>("tokens-form");

  constructor(private readonly api: ApiClient) {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.create();
    });
  }

  async refresh(): Promise<void> {
    const tokens = await this.api.listPersonalAccessTokens();
    byId("token-list").replaceChildren(...tokens.map((token) => this.row(token)));
  }

  private row(token: Token): HTMLElement {
    const used = token.last_used_at ? `last used ${formatDate(token.last_used_at)}` : "never used";
    const expires = token.expires_at ? `, expires ${formatDate(token.expires_at)}` : "";
    return h(
      "li",
      { "data-token": token.id },
      h("strong", {}, token.name),
      ` ${token.prefix}… · ${token.scopes.join(", ")} · ${used}${expires} `,
      h("button", { type: "button", class: "secondary", onclick: () => void this.revoke(token) }, "Revoke"),
    );
  }

  private async create(): Promise<void> {
    const errors = byId("tokens-errors");
    errors.textContent = "";
    const scopes = (["read", "write"] as const).filter((scope) => byId<HTMLInputElement>(`token-${scope}`).checked);
    const name = formValue(this.form, "name").trim();
    if (!name || scopes.length === 0) {
      errors.textContent = !name ? "Give the token a name." : "Choose at least one scope.";
      return;
    }
    try {
      const created = await this.api.createPersonalAccessToken({ name, scopes });
      byId("token-created").hidden = false;
      const secret = byId<HTMLInputElement>("token-secret");
      secret.value = created.token;
      secret.select();
      byId<HTMLInputElement>("token-name").value = "";
      await this.refresh();
    } catch (error) {
      errors.textContent = describe(error);
    }
  }

  private async revoke(token: Token): Promise<void> {
    const question = `Revoke the token "${token.name}"?`;
    if (!(await confirmAction(question, "Whatever uses it stops working at once.", "Revoke"))) return;
    try {
      await this.api.revokePersonalAccessToken(token.id);
      await this.refresh();
    } catch (error) {
      byId("tokens-errors").textContent = describe(error);
    }
  }
}
