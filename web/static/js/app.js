// qc: CSRF header for htmx, and the call page's audio <-> transcript link.
(function () {
  "use strict";

  function cookie(name) {
    const match = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return match ? decodeURIComponent(match.slice(name.length + 1)) : "";
  }
  window.qcCsrfToken = () => cookie("csrftoken");

  document.addEventListener("htmx:configRequest", (event) => {
    event.detail.headers["X-CSRFToken"] = cookie("csrftoken");
  });

  function seekTo(audio, seconds) {
    audio.currentTime = Math.max(0, seconds - 0.05);
    const played = audio.play();
    if (played && played.catch) played.catch(() => {});
  }

  function bindTranscript() {
    const audio = document.getElementById("call-audio");
    const transcript = document.getElementById("transcript");
    if (!audio || !transcript || transcript.dataset.bound) return;
    transcript.dataset.bound = "1";
    const words = Array.from(transcript.querySelectorAll(".w"));
    const starts = words.map((w) => parseFloat(w.dataset.start));
    let current = null;


    audio.addEventListener("timeupdate", () => {
      const t = audio.currentTime;
      let lo = 0, hi = starts.length - 1, found = -1;
      while (lo <= hi) {  // last word starting at or before t
        const mid = (lo + hi) >> 1;
        if (starts[mid] <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
      }
      const word = found >= 0 && t <= parseFloat(words[found].dataset.end) + 0.3 ? words[found] : null;
      if (word === current) return;
      if (current) current.classList.remove("current");
      if (word) word.classList.add("current");
      current = word;
    });
  }

  // One listener for the whole session: with boosted navigation the page's <audio> is
  // looked up at click time, so an earlier call's player never plays along.
  document.addEventListener("click", (event) => {
    const target = event.target.closest("#transcript [data-start], [data-seek]");
    const audio = document.getElementById("call-audio");
    if (!target || !audio) return;
    seekTo(audio, parseFloat(target.dataset.start || target.dataset.seek));
  });

  // A control that submits its form when changed (no inline handlers: the content policy
  // allows no inline script).
  document.addEventListener("change", (event) => {
    const control = event.target.closest("[data-submit-on-change]");
    if (control && control.form) control.form.requestSubmit();
  });

  document.addEventListener("DOMContentLoaded", bindTranscript);
  document.addEventListener("htmx:load", bindTranscript);
})();
