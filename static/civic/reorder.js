// Dragging items into order, over a form that already works without it: each item keeps its
// "Move up" and "Move down" buttons (for keyboards, and without JavaScript); this only adds a
// handle to drag with a mouse, a pen or a finger.
//
// Markup (the survey builder's page, consultations/templates/admin/consultations/builder/):
//   <input type="hidden" id="id_order" name="order">
//   <button type="submit" id="reorder-submit" name="action" value="reorder" hidden>…</button>
//   <div data-reorder data-reorder-input="id_order" data-reorder-submit="reorder-submit"
//        data-reorder-handle="Drag to move">
//     <fieldset data-reorder-id="12">…</fieldset> …
//   </div>
// On a drop that changes the order, the items' ids go into the input, comma-separated, and the
// button is pressed, so the form is sent as any other button sends it (by htmx where it is on).
// The handle is hidden from assistive technology: the buttons are the accessible way to move.

function reorderItems(container) {
  return [...container.querySelectorAll(":scope > [data-reorder-id]")];
}

function reorderIds(container) {
  return reorderItems(container).map((item) => item.dataset.reorderId);
}

function reorderSave(container, ids) {
  const input = document.getElementById(container.dataset.reorderInput);
  const button = document.getElementById(container.dataset.reorderSubmit);
  if (!input || !button) return;
  input.value = ids.join(",");
  button.click();
}

function reorderDrag(event, item, container) {
  if (event.button !== 0) return;
  event.preventDefault();
  const before = reorderIds(container).join(",");
  item.classList.add("reorder-dragging");

  // Followed on the document, wherever the pointer goes while the button is held.
  const move = (moved) => {
    for (const other of reorderItems(container)) {
      if (other === item) continue;
      const box = other.getBoundingClientRect();
      if (moved.clientY < box.top || moved.clientY > box.bottom) continue;
      if (moved.clientY > box.top + box.height / 2) other.after(item);
      else other.before(item);
      break;
    }
  };
  const end = () => {
    document.removeEventListener("pointermove", move);
    document.removeEventListener("pointerup", end);
    document.removeEventListener("pointercancel", end);
    item.classList.remove("reorder-dragging");
    const after = reorderIds(container);
    if (after.join(",") !== before) reorderSave(container, after);
  };
  document.addEventListener("pointermove", move);
  document.addEventListener("pointerup", end);
  document.addEventListener("pointercancel", end);
}

function reorderEnhance(root) {
  for (const container of root.querySelectorAll("[data-reorder]")) {
    const items = reorderItems(container);
    if (items.length < 2) continue;
    for (const item of items) {
      if (item.querySelector(":scope > .reorder-handle")) continue;
      const handle = document.createElement("span");
      handle.className = "reorder-handle";
      handle.setAttribute("aria-hidden", "true");
      handle.textContent = container.dataset.reorderHandle || "";
      handle.addEventListener("pointerdown", (event) => reorderDrag(event, item, container));
      const heading = item.querySelector(":scope > h2, :scope > h3");
      if (heading) heading.after(handle);
      else item.prepend(handle);
    }
  }
}

document.addEventListener("DOMContentLoaded", () => reorderEnhance(document));
// htmx swaps in a new copy of the form after each button: enhance that too.
document.addEventListener("htmx:afterSettle", () => reorderEnhance(document));
