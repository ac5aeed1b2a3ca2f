// qc: the review workspace. A waveform player with the agent and the customer on their own
// lanes (wavesurfer.js on the page's <audio>, so the transcript and the evidence buttons keep
// working), keyboard shortcuts, override reasons, comments at the player's position, and
// the time spent on the page.
(function () {
  "use strict";

  const AGENT = "#1f6feb";
  const CUSTOMER = "#8250df";
  const IDLE_AFTER_MS = 60000; // no key, click or playback for a minute: not on task

  let wave = null;
  let regions = null;
  let waveReady = false;
  let active = 0; // seconds on task not yet sent to the server
  let sent = 0;
  let lastInput = Date.now();

  const audio = () => document.getElementById("call-audio");
  const workspace = () => document.getElementById("review");

  function clock(seconds) {
    const total = Math.max(0, Math.floor(seconds || 0));
    const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  // Player -------------------------------------------------------------------------------

  async function buildWave() {
    const box = document.getElementById("waveform");
    if (!box || box.dataset.bound || !window.WaveSurfer) return;
    box.dataset.bound = "1";
    let data;
    try {
      const response = await fetch(box.dataset.peaks, { credentials: "same-origin" });
      if (!response.ok) throw new Error(response.status);
      data = await response.json();
    } catch (error) {
      box.classList.add("unavailable");
      box.setAttribute("data-note", "The waveform could not be drawn; the player below still works.");
      audio().controls = true;
      return;
    }
    const stereo = data.peaks.length > 1;
    const agentFirst = data.layout !== "agent-right";
    const options = {
      container: box,
      media: audio(),
      peaks: data.peaks,
      duration: data.duration,
      height: stereo ? 52 : 72,
      normalize: true,
      barWidth: 2,
      barGap: 1,
      barRadius: 1,
      cursorColor: "#cf222e",
      cursorWidth: 2,
      dragToSeek: true,
      plugins: [],
      // The waveform styles its shadow root with a <style> element: the content policy lets it
      // in by the page's nonce.
      cspNonce: (document.querySelector('meta[name="csp-nonce"]') || {}).content,
    };
    if (stereo) {
      options.splitChannels = (agentFirst ? [AGENT, CUSTOMER] : [CUSTOMER, AGENT]).map((color) => ({
        waveColor: color,
        progressColor: "#24292f",
        overlay: false,
      }));
    } else {
      options.waveColor = "#8c959f";
      options.progressColor = "#24292f";
    }
    if (window.WaveSurfer.Regions) {
      regions = window.WaveSurfer.Regions.create();
      options.plugins.push(regions);
    }
    if (window.WaveSurfer.Timeline) {
      options.plugins.push(window.WaveSurfer.Timeline.create({
        height: 16,
        timeInterval: 5,
        primaryLabelInterval: 30,
        secondaryLabelOpacity: 0,
        formatTimeCallback: clock,
        style: { fontSize: "11px", color: "#57606a" },
      }));
    }
    waveReady = false;
    wave = window.WaveSurfer.create(options);
    wave.on("ready", () => { waveReady = true; markComments(); });
  }

  function toggle() {
    const media = audio();
    if (!media) return;
    if (media.paused) {
      const played = media.play();
      if (played && played.catch) played.catch(() => {});
    } else {
      media.pause();
    }
  }

  function skip(seconds) {
    const media = audio();
    if (!media) return;
    const end = isFinite(media.duration) ? media.duration : Infinity;
    media.currentTime = Math.min(end, Math.max(0, media.currentTime + seconds));
  }

  function showTime() {
    const media = audio();
    const label = document.getElementById("clock");
    if (!media || !label) return;
    const total = isFinite(media.duration) ? media.duration : parseFloat(label.dataset.total || "0");
    label.textContent = clock(media.currentTime) + " / " + clock(total);
    const at = document.getElementById("comment-at");
    if (at) at.value = media.currentTime.toFixed(2);
    const pinned = document.getElementById("comment-clock");
    if (pinned) pinned.textContent = clock(media.currentTime);
  }

  function showPlaying() {
    const media = audio();
    const button = document.getElementById("play-toggle");
    if (media && button) button.textContent = media.paused ? "▶ Play" : "❚❚ Pause";
  }

  function markComments() {
    if (!regions || !waveReady) return;  // before the waveform knows its length, markers land at 0:00
    regions.clearRegions();
    document.querySelectorAll("#comments li[data-at]").forEach((item) => {
      const at = parseFloat(item.dataset.at);
      if (!isFinite(at)) return;
      const label = document.createElement("span");
      label.textContent = "●";
      label.style.cssText = "color:#bf8700;font-size:11px;line-height:1;margin-left:-4px";  // regions live in a shadow root
      label.title = item.querySelector(".comment-text") ? item.querySelector(".comment-text").textContent : "";
      regions.addRegion({ start: at, color: "rgba(191, 135, 0, 0.9)", drag: false, resize: false, content: label });
    });
  }

  // Scorecard --------------------------------------------------------------------------------

  function items() {
    return Array.from(document.querySelectorAll("#review-form fieldset.item"));
  }

  function current() {
    return document.querySelector("#review-form fieldset.item.current");
  }

  function focusItem(item) {
    if (!item) return;
    items().forEach((other) => other.classList.toggle("current", other === item));
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function moveItem(step) {
    const all = items();
    const index = all.indexOf(current());
    focusItem(all[Math.min(all.length - 1, Math.max(0, index + step))] || all[0]);
  }

  function answer(value) {
    const item = current();
    if (!item) return;
    const input = item.querySelector(`input[type=radio][value="${value}"]`);
    if (!input) return;
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    showReason(item);
    const reason = item.querySelector(".override-reason");
    if (reason && !reason.hidden) reason.querySelector("input").focus();
  }

  function showReason(item) {
    const suggested = item.dataset.suggested;
    const chosen = item.querySelector("input[type=radio]:checked");
    const reason = item.querySelector(".override-reason");
    if (!reason) return;
    const overriding = Boolean(suggested && chosen && chosen.value !== suggested);
    reason.hidden = !overriding;
    reason.querySelector("input").required = overriding;
  }

  function firstOpenItem() {
    return items().find((item) => !item.querySelector("input[type=radio]:checked")) || items()[0];
  }

  // Keyboard -----------------------------------------------------------------------------------

  function typing(target) {
    return target.closest("textarea, select, [contenteditable]") ||
      (target.tagName === "INPUT" && !["radio", "checkbox", "button", "submit"].includes(target.type));
  }

  function onKey(event) {
    if (!workspace() || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const key = event.key.toLowerCase();
    const actions = {
      " ": toggle,
      arrowleft: () => skip(event.shiftKey ? -15 : -5),
      arrowright: () => skip(event.shiftKey ? 15 : 5),
      j: () => moveItem(1),
      k: () => moveItem(-1),
      y: () => answer("yes"),
      n: () => answer("no"),
      a: () => answer("na"),
      p: playEvidence,
      c: () => { const box = document.querySelector("#comment-form textarea"); if (box) box.focus(); },
      "?": toggleHelp,
    };
    if ("12345".includes(key) && key.length === 1) actions[key] = () => answer(key);
    const action = actions[key];
    if (!action) return;
    event.preventDefault();
    lastInput = Date.now();
    action();
  }

  function playEvidence() {
    const item = current();
    if (!item || !item.dataset.evidence) return;
    const media = audio();
    if (!media) return;
    media.currentTime = Math.max(0, parseFloat(item.dataset.evidence) - 0.3);
    const played = media.play();
    if (played && played.catch) played.catch(() => {});
  }

  function toggleHelp() {
    const help = document.getElementById("shortcuts");
    const button = document.getElementById("shortcuts-toggle");
    if (!help) return;
    help.hidden = !help.hidden;
    if (button) button.setAttribute("aria-expanded", String(!help.hidden));
  }

  // Time on task ---------------------------------------------------------------------------------

  function tick() {
    if (!workspace()) return;
    const media = audio();
    const playing = media && !media.paused;
    if (document.visibilityState === "visible" && (playing || Date.now() - lastInput < IDLE_AFTER_MS)) {
      active += 1;
      const field = document.getElementById("active-seconds");
      if (field) field.value = String(active);
    }
  }

  // Wiring ----------------------------------------------------------------------------------------

  function bindPlayer(root, media) {
    media.addEventListener("timeupdate", showTime);
    media.addEventListener("play", showPlaying);
    media.addEventListener("pause", showPlaying);
    media.addEventListener("loadedmetadata", showTime);
    document.getElementById("play-toggle").addEventListener("click", toggle);
    root.querySelectorAll("[data-skip]").forEach((button) =>
      button.addEventListener("click", () => skip(parseFloat(button.dataset.skip))));
    const rate = document.getElementById("playback-rate");
    rate.addEventListener("change", () => { media.playbackRate = parseFloat(rate.value); });
    // Back on the page after a refused submit: the player continues where it was.
    const key = root.dataset.key;
    const kept = key ? parseFloat(sessionStorage.getItem(key) || "") : NaN;
    if (isFinite(kept) && kept > 0) {
      media.addEventListener("loadedmetadata", () => { media.currentTime = kept; }, { once: true });
      if (media.readyState >= 1) media.currentTime = kept;
    }
    media.addEventListener("timeupdate", () => { if (key) sessionStorage.setItem(key, String(media.currentTime)); });
  }

  function bind() {
    const root = workspace();
    if (!root || root.dataset.bound) return;
    root.dataset.bound = "1";
    active = 0;
    // No player while the recording is not masked yet or was deleted under the retention
    // policy: the page says so where the player would be, and scoring works without it.
    const media = audio();
    if (media) bindPlayer(root, media);
    document.getElementById("shortcuts-toggle").addEventListener("click", toggleHelp);
    items().forEach((item) => {
      item.addEventListener("change", () => showReason(item));
      item.addEventListener("focusin", () => items().forEach((o) => o.classList.toggle("current", o === item)));
      item.addEventListener("click", () => items().forEach((o) => o.classList.toggle("current", o === item)));
      showReason(item);
    });
    const broken = document.querySelector("#review-form fieldset.has-error");
    const open = broken || firstOpenItem();
    if (open) open.classList.add("current");
    const refused = document.getElementById("submit-refused");
    if (broken) {
      document.querySelector(".review-side").scrollIntoView({ block: "start" });
      broken.scrollIntoView({ block: "center" });
      const field = broken.querySelector(".override-reason:not([hidden]) input") || broken.querySelector("input");
      if (field) field.focus({ preventScroll: true });
    } else if (refused) {
      // Not submitted because the checks changed: on a phone the form sits below the transcript.
      refused.scrollIntoView({ block: "start" });
    }
    buildWave();
    showTime();
  }

  document.addEventListener("keydown", onKey);
  ["pointerdown", "input"].forEach((name) => document.addEventListener(name, () => { lastInput = Date.now(); }));
  setInterval(tick, 1000);

  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.elt && event.detail.elt.id === "autosave") sent = active;
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const elt = event.detail.elt;
    // A 422 is swapped without being an htmx error (base.html), but nothing was saved.
    const saved = event.detail.successful && event.detail.xhr && event.detail.xhr.status < 300;
    if (elt && elt.id === "autosave" && saved) {
      active = Math.max(0, active - sent);
      sent = 0;
      const state = document.getElementById("autosave-state");
      if (state) state.textContent = "Saved at " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    }
    if (elt && elt.id === "comment-form" && saved) elt.reset();
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "comments") markComments();
  });
  document.addEventListener("htmx:beforeSwap", (event) => {
    // Leaving the page (boosted navigation swaps the body): release the player.
    if (event.detail.target === document.body && wave) {
      wave.destroy();
      wave = null;
      regions = null;
      waveReady = false;
    }
  });
  document.addEventListener("DOMContentLoaded", bind);
  document.addEventListener("htmx:load", bind);
})();
