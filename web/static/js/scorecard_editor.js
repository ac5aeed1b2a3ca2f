// qc: the scorecard editor's blocks. Add, move and remove sections and items, and show the
// fields of the chosen check type. Field names carry keys that only group fields (order is
// the order in the page), so a new block just needs keys no other block uses.
(function () {
  "use strict";

  let counter = 0;
  const freshKey = () => "n" + Date.now().toString(36) + (counter++).toString(36);

  function fromTemplate(id, sectionKey) {
    const template = document.getElementById(id);
    const html = template.innerHTML.replaceAll("__S__", sectionKey || freshKey()).replaceAll("__I__", freshKey());
    const holder = document.createElement("div");
    holder.innerHTML = html;
    return holder.firstElementChild;
  }

  function focusFirst(block) {
    const field = block.querySelector("input[type=text], input:not([type]), textarea");
    if (field) field.focus();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("#scorecard-editor [data-editor]");
    if (!button) return;
    event.preventDefault();
    const action = button.dataset.editor;
    const block = button.closest(".item-editor, .section-editor");
    if (action === "add-item") {
      const section = button.closest(".section-editor");
      const items = section.querySelector(".items");
      const item = fromTemplate("new-item", items.dataset.section);
      item.open = true;
      items.appendChild(item);
      focusFirst(item);
    } else if (action === "add-section") {
      const section = fromTemplate("new-section");
      document.getElementById("sections").appendChild(section);
      focusFirst(section);
    } else if (action === "remove") {
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      block.remove();
    } else if (action === "up" && block.previousElementSibling) {
      block.parentNode.insertBefore(block, block.previousElementSibling);
      button.focus();
    } else if (action === "down" && block.nextElementSibling) {
      block.parentNode.insertBefore(block.nextElementSibling, block);
      button.focus();
    }
  });

  // A suggestion from reviewers goes into its item's box for the language (kept with the
  // rest of the unsaved edits, saved with the draft).
  document.addEventListener("click", (event) => {
    const button = event.target.closest("#scorecard-editor [data-add-suggestion]");
    if (!button) return;
    event.preventDefault();
    const item = button.closest(".item-editor");
    const list = button.dataset.kind === "phrase" ? "phrases" : "exceptions";
    const box = item && item.querySelector(`textarea[name$=".c.${list}.${button.dataset.language}"]`);
    if (!box) return;
    const lines = box.value.split("\n").map((l) => l.trim()).filter(Boolean);
    if (!lines.includes(button.dataset.text)) lines.push(button.dataset.text);
    box.value = lines.join("\n");
    box.dispatchEvent(new Event("input", { bubbles: true }));
    button.disabled = true;
    button.textContent = "Added: save the draft to keep it";
  });

  // The check type decides which fields show (CSS reads data-check).
  document.addEventListener("change", (event) => {
    const select = event.target.closest("#scorecard-editor select[name$='.check']");
    if (!select) return;
    select.closest(".item-editor").dataset.check = select.value;
  });

  // An item's title follows its label as it is typed.
  document.addEventListener("input", (event) => {
    const field = event.target.closest("#scorecard-editor [name$='.label']");
    const item = field && field.closest(".item-editor");
    if (!item || field.name.split(".").length !== 5) return;
    const title = item.querySelector(":scope > summary .item-title");
    if (title) title.textContent = field.value || "New item";
  });
})();
