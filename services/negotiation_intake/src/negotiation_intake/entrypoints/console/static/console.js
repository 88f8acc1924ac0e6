// Progressive enhancement only: every form works without this file.
// Shows a chosen image or PDF before it is uploaded.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.dataset.preview) return;
  const box = document.getElementById(input.dataset.preview);
  const file = input.files && input.files[0];
  if (!box) return;
  box.replaceChildren();
  box.hidden = !file;
  if (!file) return;
  const url = URL.createObjectURL(file);
  const view = file.type.startsWith("image/") ? document.createElement("img") : document.createElement("object");
  if (view instanceof HTMLImageElement) { view.src = url; view.alt = file.name; } else { view.data = url; view.type = file.type; }
  box.append(view);
});

// After an action the page says what it came to, and the focus moves there, so that a screen
// reader reads it and the keyboard goes on from it: #status-message (role=status) after a change;
// else a refusal ([data-refusal], role=alert: the problem the server answered, or a supervisor's
// refusal of the option chosen), the first in the page; else the first field refused.
const said = document.getElementById("status-message")
  || document.querySelector("[data-refusal]")
  || document.querySelector('[aria-invalid="true"]');
if (said) said.focus();

// While the application waits (for its offer, for the borrower's confirmation to be taken in),
// the page asks for itself every few seconds and reloads only when the application's state has
// changed: no timed refresh of what the agent is reading (WCAG 2.2.1), no lost focus.
const watched = document.querySelector("[data-watch]");
if (watched) {
  const every = Number(watched.dataset.watch) * 1000;
  const check = async () => {
    try {
      const answer = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const now = page.getElementById(watched.id);
      if (answer.ok && now && now.className !== watched.className) { location.reload(); return; }
    } catch (error) { /* the network is away: try again later */ }
    setTimeout(check, every);
  };
  setTimeout(check, every);
}
