// My feedback and disputes: a click on a moment ("▶ 1:23") plays the call from there, in
// the audio player of the same review card (or the page's only player).
(function () {
  "use strict";

  function playerFor(button) {
    var card = button.closest("[data-feedback]");
    return (card || document).querySelector("audio.feedback-audio");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-play-at]");
    if (!button) return;
    var audio = playerFor(button);
    if (!audio) return;
    var at = parseFloat(button.getAttribute("data-play-at"));
    if (!isFinite(at)) return;
    event.preventDefault();
    var seek = function () {
      audio.currentTime = Math.max(0, at - 0.5);
      audio.play().catch(function () { /* the browser wants a gesture first: the button was one */ });
    };
    if (audio.readyState >= 1) {
      seek();
    } else {
      audio.preload = "metadata";
      audio.addEventListener("loadedmetadata", seek, { once: true });
      audio.load();
    }
    document.querySelectorAll("[data-play-at].playing").forEach(function (b) { b.classList.remove("playing"); });
    button.classList.add("playing");
  });
})();
