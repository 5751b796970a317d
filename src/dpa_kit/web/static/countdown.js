// Makes the "time left" of every deadline tick. Pages are complete without it.
(function () {
  "use strict";
  var main = document.querySelector("main[data-now]");
  if (!main) { return; }
  // The server's clock is the reference (it may differ from this computer's).
  var offset = Date.parse(main.getAttribute("data-now")) - Date.now();
  function text(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var h = Math.floor(minutes / 60), m = minutes % 60;
    var span = h + " h " + (m < 10 ? "0" : "") + m;
    // As the server says it (dpa_kit.frenchtime.late_by): « en retard de 2 h 05 », « en retard de 7 min ».
    return ms >= 0 ? "il reste " + span : "délai dépassé, en retard de " + (h ? span : m + " min");
  }
  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      el.textContent = text(Date.parse(el.getAttribute("data-deadline")) - now);
    });
  }
  setInterval(tick, 30000);
})();
