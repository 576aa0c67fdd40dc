// One confirmation dialog for every destructive action (delete an application, a resume, a letter):
// a modal <dialog> whose safe choice ("Keep it") has the focus, answered with a promise. The answer
// is taken from the form's `submit` (which button), not from the dialog's `close` event: that one is
// queued, so a late `close` of the previous question could otherwise answer the next one. Closing
// without a choice (Escape) keeps; the browser gives the focus back to the button that asked.
import { byId } from "./dom.js";

let unanswered: ((yes: boolean) => void) | null = null;

/** Ask "`question`" with `detail`; resolves true only when the user chose `action`. */
export function confirmAction(question: string, detail: string, action: string): Promise<boolean> {
  unanswered?.(false); // defensive: a question whose dialog closed without a choice
  const dialog = byId<HTMLDialogElement>("confirm");
  const form = dialog.querySelector("form");
  if (!form) throw new Error("#confirm has no form");
  byId("confirm-title").textContent = question;
  byId("confirm-detail").textContent = detail;
  byId("confirm-yes").textContent = action;
  return new Promise((resolve) => {
    const finish = (yes: boolean): void => {
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("close", onClose);
      unanswered = null;
      resolve(yes);
    };
    const onSubmit = (event: SubmitEvent): void => finish((event.submitter as HTMLButtonElement | null)?.value === "yes");
    const onClose = (): void => {
      if (!dialog.open) finish(false); // Escape; a late close of an earlier question finds this one open
    };
    unanswered = finish;
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    byId("confirm-no").focus();
  });
}
