/* Draws every <canvas data-chart='{...}'> from the JSON in that attribute
   (templates/macros/charts.html). The table under each chart holds the same figures. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var palette = ["#0b5ed7", "#198754", "#b35c00", "#6f42c1", "#b02a37", "#0f7b6c", "#5c636a",
                 "#8a6d00", "#087990", "#a61e4d"];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#212529";
  Chart.defaults.animation = false;

  function draw(canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var round = spec.type === "doughnut" || spec.type === "pie";
    var datasets = spec.datasets.map(function (set, i) {
      var colours = round ? spec.labels.map(function (_, j) { return palette[j % palette.length]; })
                          : palette[i % palette.length];
      return Object.assign({ backgroundColor: colours, borderColor: round ? "#fff" : colours,
                             borderWidth: round ? 2 : 1 }, set);
    });
    var scales = round ? {} : {
      x: { stacked: !!spec.stacked },
      y: { stacked: !!spec.stacked, beginAtZero: true,
           ticks: spec.integer ? { precision: 0 } : {},
           title: { display: !!spec.unit, text: spec.unit || "" } }
    };
    new Chart(canvas, {
      type: spec.type || "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, scales: scales,
        plugins: { legend: { display: datasets.length > 1 || round, position: "bottom" } }
      }
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
