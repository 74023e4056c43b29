/*
 * Live countdowns to a request's next due time, ticking every second without reloading.
 *
 *   <span class="countdown countdown-ok" data-due="2026-03-02T01:15:00Z"
 *         data-start="2026-03-02T01:00:00Z" data-now="2026-03-02T01:03:48Z">11:12 left</span>
 *
 * The server renders the first text and colour (app/requests/countdown.py: keep the two in step);
 * this script only moves them on. "4:12 left"; amber (countdown-soon) once less than a fifth of
 * the allowed time (due - start) remains; red (countdown-overdue) "overdue 3:05" once past due,
 * and red throughout when data-breached is set. data-now is the server's time when the page was
 * made, so a browser whose clock is wrong still counts from the right time.
 *
 * The words come from the page, in its language: data-text-left="{time} left",
 * data-text-overdue="overdue {time}" and data-text-days="{days}d {hours}h" (English when absent).
 */
(function () {
  "use strict";

  var nodes = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-due]"));
  if (!nodes.length) {
    return;
  }

  var TONES = ["countdown-ok", "countdown-soon", "countdown-overdue"];

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // "{time} left" with values = {time: "4:12"} gives "4:12 left".
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function words(el, name, english) {
    var text = el.getAttribute("data-text-" + name);
    return text && text.indexOf("{") !== -1 ? text : english;
  }

  // Same shapes as span() on the server: m:ss, h:mm:ss, or "3d 4h" beyond a day.
  function span(seconds, daysText) {
    var s = Math.abs(seconds);
    var days = Math.floor(s / 86400);
    var hours = Math.floor((s % 86400) / 3600);
    var minutes = Math.floor((s % 3600) / 60);
    var secs = s % 60;
    if (days) {
      return fill(daysText, {days: days, hours: hours});
    }
    if (hours) {
      return hours + ":" + pad(minutes) + ":" + pad(secs);
    }
    return minutes + ":" + pad(secs);
  }

  var timers = nodes.map(function (el) {
    var due = Date.parse(el.getAttribute("data-due"));
    var start = Date.parse(el.getAttribute("data-start"));
    var serverNow = Date.parse(el.getAttribute("data-now") || "");
    return {
      el: el,
      due: due,
      allowed: due - start,
      skew: isNaN(serverNow) ? 0 : serverNow - Date.now(),
      breached: el.hasAttribute("data-breached"),
      left: words(el, "left", "{time} left"),
      overdue: words(el, "overdue", "overdue {time}"),
      days: words(el, "days", "{days}d {hours}h")
    };
  }).filter(function (t) {
    return !isNaN(t.due) && !isNaN(t.allowed);
  });

  function setTone(el, tone) {
    TONES.forEach(function (cls) {
      el.classList.toggle(cls, cls === tone);
    });
  }

  function tick() {
    var clientNow = Date.now();
    timers.forEach(function (t) {
      var remaining = (t.due - (clientNow + t.skew)) / 1000;
      var text;
      var tone;
      if (remaining < 0) {
        text = fill(t.overdue, {time: span(Math.floor(-remaining), t.days)});
        tone = "countdown-overdue";
      } else {
        text = fill(t.left, {time: span(Math.floor(remaining), t.days)});
        tone = remaining < t.allowed / 5000 ? "countdown-soon" : "countdown-ok";
      }
      if (t.breached) {
        tone = "countdown-overdue";
      }
      if (t.el.textContent !== text) {
        t.el.textContent = text;
      }
      setTone(t.el, tone);
    });
  }

  tick();
  window.setInterval(tick, 1000);
})();
