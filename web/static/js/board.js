// qc wall board: rotating pages for big teams, the "connection lost" state, a reload every
// few hours (for memory) only when the server answers, and the display link's copy button.
(function () {
  "use strict";
  if (window.qcBoard) return; // loaded again by a boosted page swap
  window.qcBoard = true;

  const ROTATE_MS = 15000; // a page of reps stays this long
  const RETRY_MS = 15000; // after a failed refresh, try again this soon

  function showPage(wall, index) {
    const pages = wall.querySelectorAll(".board-page");
    if (!pages.length) return 0;
    const current = index % pages.length;
    pages.forEach((page, i) => page.classList.toggle("current", i === current));
    const pager = wall.querySelector(".board-pager");
    if (pager) pager.textContent = "Page " + (current + 1) + " of " + pages.length;
    return current;
  }

  function setUpWall() {
    const wall = document.getElementById("wall");
    const status = document.getElementById("wall-status");
    if (!wall || wall.dataset.bound) return;
    wall.dataset.bound = "1";
    let page = 0;
    let retry = null;
    setInterval(() => { page = showPage(wall, page + 1); }, ROTATE_MS);

    function lost() {
      status.hidden = false;
      document.body.classList.add("offline");
      if (retry === null) {
        retry = setTimeout(() => { retry = null; window.htmx.trigger(wall, "retry"); }, RETRY_MS);
      }
    }
    wall.addEventListener("htmx:afterSwap", () => {
      status.hidden = true;
      document.body.classList.remove("offline");
      page = showPage(wall, page);
    });
    wall.addEventListener("htmx:sendError", lost);
    wall.addEventListener("htmx:timeout", lost);
    wall.addEventListener("htmx:responseError", (event) => {
      // A revoked link: the page itself now answers "not found"; anything else may pass.
      if (event.detail.xhr.status === 404) window.location.reload();
      else lost();
    });
    // A fresh page now and then, for memory; only when the server answers, so a reload never
    // leaves the screen on the browser's own error page.
    wall.qcReloadIfUp = () => fetch(wall.getAttribute("hx-get"), { cache: "no-store" })
      .then((response) => { if (response.ok) window.location.reload(); })
      .catch(() => {});
    const hours = parseFloat(wall.dataset.reloadHours || "4");
    setInterval(wall.qcReloadIfUp, hours * 3600 * 1000);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    field.select();
    const done = () => { button.textContent = "Copied"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, () => { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  // The board's proportions arrive as data attributes: the content policy refuses style
  // attributes, while styles set from a script are allowed.
  function sizeBoards(root) {
    const within = (selector) => [
      ...(root.matches && root.matches(selector) ? [root] : []),
      ...root.querySelectorAll(selector),
    ];
    within(".board[data-lines]").forEach((board) => {
      board.style.setProperty("--lines", board.dataset.lines);
      board.style.setProperty("--columns", board.dataset.columns);
    });
    within(".board-bar [data-share]").forEach((bar) => { bar.style.width = bar.dataset.share + "%"; });
  }
  document.addEventListener("htmx:load", (event) => sizeBoards(event.target));

  function start() {
    sizeBoards(document);
    setUpWall();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
