/*
 * Progress bars for queue runs (reports, imports), without inline script (CSP).
 *
 *   <div class="run-progress" data-status-url="/reports/runs/7/status">
 *     <progress max="100" value="40">40 %</progress> <span class="run-progress-label">Running · 40 %</span>
 *   </div>
 *
 * Polls the status URL (JSON: status, label, progress, finished) every second and moves the bar;
 * when the run's status changes (queued -> running, or finished) it reloads the page, which the
 * server renders in its new state (the badge and text of a running run; the download link or the
 * error). data-status is the status the page was rendered with. Without JavaScript the page says
 * to reload.
 */
(function () {
  "use strict";

  var boxes = Array.prototype.slice.call(document.querySelectorAll(".run-progress[data-status-url]"));
  if (!boxes.length || !window.fetch) {
    return;
  }

  function poll(box, delay) {
    window.setTimeout(function () {
      fetch(box.getAttribute("data-status-url"), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          var bar = box.querySelector("progress");
          var label = box.querySelector(".run-progress-label");
          if (bar) {
            bar.value = data.progress;
            bar.textContent = data.progress + " %";
          }
          if (label) {
            label.textContent = data.label + " · " + data.progress + " %";
          }
          if (data.finished || (box.getAttribute("data-status") && data.status !== box.getAttribute("data-status"))) {
            window.location.reload();
          } else {
            poll(box, 1000);
          }
        })
        .catch(function () {
          poll(box, 5000); // the server or the network hiccuped: keep trying, more slowly
        });
    }, delay);
  }

  boxes.forEach(function (box) {
    poll(box, 500);
  });
})();
