// The home page's dashboard charts (templates/main/_dashboard.html): each .dashboard-chart element
// names its chart in data-chart; the figures are the JSON of #dashboard-data, the same figures
// as the list beside the chart, with each segment's labels (in the user's language) and the URL
// of the list behind it. Clicking a bar, slice or point opens that list. Drawn with the
// vendored ECharts; no inline script or style (CSP).
(function () {
  if (!window.echarts) return;
  const source = document.getElementById("dashboard-data");
  if (!source) return;
  const data = JSON.parse(source.textContent || "{}");
  const charts = [];

  function counted(items) {
    return items.map((item) => ({ value: item.value, name: item.label, url: item.url }));
  }

  const options = {
    // bars in the path's order, the first stage on top
    funnel: (chart) => ({
      grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "item" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: {
        type: "category",
        inverse: true,
        data: chart.items.map((i) => i.label),
        axisLabel: { width: 120, overflow: "truncate" },
      },
      series: [
        {
          type: "bar",
          data: counted(chart.items),
          label: { show: true, position: "right" },
          cursor: "pointer",
        },
      ],
    }),
    hbar: (chart) => options.funnel(chart),
    bar: (chart) => ({
      grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "item" },
      xAxis: {
        type: "category",
        data: chart.items.map((i) => i.label),
        axisLabel: { interval: 0, rotate: chart.items.length > 5 ? 35 : 0 },
      },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: counted(chart.items), cursor: "pointer" }],
    }),
    pie: (chart) => ({
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [
        {
          type: "pie",
          radius: ["35%", "65%"],
          data: counted(chart.items),
          label: { formatter: "{b}\n{c}" },
          cursor: "pointer",
        },
      ],
    }),
    deployment: (chart) => ({
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: chart.dates },
      yAxis: { type: "value", name: chart.unit },
      series: [
        { name: chart.labels.committed, type: "line", step: "end", data: chart.committed },
        { name: chart.labels.invested, type: "line", areaStyle: {}, data: chart.invested },
      ],
    }),
  };

  function urlOf(chart, params) {
    if (chart.kind === "deployment") return chart.urls[params.dataIndex];
    return params.data && params.data.url;
  }

  document.querySelectorAll(".dashboard-chart").forEach((element) => {
    const chart = data[element.dataset.chart];
    if (!chart || !options[chart.kind]) return;
    const drawn = window.echarts.init(element, null, { renderer: "canvas" });
    drawn.setOption({ animation: false, ...options[chart.kind](chart) });
    drawn.on("click", (params) => {
      const url = urlOf(chart, params);
      if (url) window.location.assign(url);
    });
    if (chart.kind === "deployment") {
      // a click anywhere on a quarter (not only on the point) opens the portfolio as of it
      drawn.getZr().on("click", (event) => {
        const at = drawn.convertFromPixel({ seriesIndex: 0 }, [event.offsetX, event.offsetY]);
        const index = at && Math.round(at[0]);
        if (!event.target && index >= 0 && index < chart.urls.length) {
          window.location.assign(chart.urls[index]);
        }
      });
    }
    charts.push(drawn);
  });
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();
