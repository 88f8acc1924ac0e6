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
