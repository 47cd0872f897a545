// The industry map (templates/industry_map/page.html): Chongqing's 38 districts drawn with the
// vendored ECharts from /map/districts.geojson, coloured by the chosen measure. The figures are
// the JSON of #map-data: the same rows as the table under the map, with each district's label
// (in the user's language) and the URL of the list behind it. Hovering a district shows all its
// figures; clicking it opens that list. The zone overlay outlines a zone's districts; with the
// re-investment layer the commitment's area is coloured by what counts toward it and the other
// districts are grey. Changing the measure or a filter submits the form, so every view has its
// own address. No inline script or style (CSP).
(function () {
  const form = document.getElementById("map-filters");
  const overlay = document.getElementById("f-overlay");
  if (form) {
    form.addEventListener("change", (event) => {
      if (event.target === overlay) return; // drawn here, no need to ask the server
      // a choice from a list asks at once; a date is typed a part at a time: its own button
      if (event.target.tagName !== "SELECT") return;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    });
  }
  const element = document.getElementById("industry-map");
  const source = document.getElementById("map-data");
  if (!element || !source || !window.echarts) return;
  const data = JSON.parse(source.textContent || "{}");
  const ui = data.ui;
  const layer = data.layer;
  const inArea = new Set(layer ? layer.area : []);
  const lang = document.documentElement.lang || "en";
  const wanFormat = new Intl.NumberFormat(lang, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });
  const countFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  const money = {};
  ui.measures.forEach((m) => (money[m.code] = m.money));
  const byCode = {};
  data.districts.forEach((d) => (byCode[d.code] = d));

  const wan = (yuan) => Number(yuan) / 10000; // for drawing and showing only; the table is exact
  const shown = (code, value) =>
    money[code] ? `${wanFormat.format(wan(value))} ${ui.wan}` : countFormat.format(value);
  const colon = lang.startsWith("zh") ? "：" : ": ";
  const escape = (text) =>
    String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  // the figure a district is coloured by: the measure's (万元 for money), or with the layer what
  // counts toward the commitment in the area (NaN outside it: no colour)
  function colourOf(d) {
    if (layer) return inArea.has(d.code) ? wan(layer.counted[d.code] || 0) : NaN;
    return data.money ? wan(d.value) : d.value;
  }
  const inMoney = layer ? true : data.money;
  const figure = (value) => (inMoney ? wanFormat.format(value) : countFormat.format(value));
  // the legend's classes: the server's quantiles of the districts' figures above zero (as the
  // annual report's map), so one large holding does not wash the others out
  const PALETTE = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  function pieces() {
    const classes = (data.classes || []).map(([low, high]) =>
      inMoney ? [wan(low), wan(high)] : [Number(low), Number(high)],
    );
    const found = [{ value: 0, label: `${figure(0)}`, color: layer ? "#dbe7f3" : "#eef4fb" }];
    classes.forEach(([low, high], i) => {
      const step = classes.length > 1 ? i * (PALETTE.length - 1) / (classes.length - 1) : 3;
      found.push({
        gt: i ? classes[i - 1][1] : 0,
        lte: high,
        label: low === high ? figure(low) : `${figure(low)} – ${figure(high)}`,
        color: PALETTE[Math.round(step)],
      });
    });
    return found.reverse(); // the largest on top
  }

  function items(zone) {
    const outlined = new Set(zone ? ui.zone_districts[zone] || [] : []);
    return data.districts.map((d) => {
      const value = colourOf(d);
      const look = {};
      if (layer && !inArea.has(d.code)) {
        Object.assign(look, { areaColor: "#f1f3f5", borderColor: "#ced4da" });
      }
      if (layer && inArea.has(d.code)) Object.assign(look, { borderColor: "#084298", borderWidth: 2 });
      if (outlined.has(d.code)) Object.assign(look, { borderColor: "#d63384", borderWidth: 3 });
      if (d.code === ui.selected) Object.assign(look, { borderColor: "#212529", borderWidth: 3 });
      return {
        name: d.code,
        value: value,
        link: d.link,
        itemStyle: look,
        label: { show: value > 0 },
        // a name appears on hover only where it is already shown: one drawn then would take
        // the pointer from the neighbour it lies over (the tooltip names the district)
        emphasis: { label: { show: value > 0 } },
      };
    });
  }

  function tooltip(params) {
    const d = byCode[params.name];
    if (!d) return "";
    const lines = [`<strong>${escape(d.label)}</strong>`];
    ui.measures.forEach((m) => {
      const line = `${escape(m.label)}${colon}${escape(shown(m.code, d.figures[m.code]))}`;
      lines.push(m.code === data.measure ? `<strong>${line}</strong>` : line);
    });
    if (layer && inArea.has(d.code)) {
      const counted = wanFormat.format(wan(layer.counted[d.code] || 0));
      lines.push(`${escape(ui.counted_label)}${colon}${escape(counted)}`);
    }
    return lines.join("<br>");
  }

  function options() {
    return {
      animation: false,
      tooltip: { trigger: "item", formatter: tooltip },
      visualMap: {
        type: "piecewise",
        pieces: pieces(),
        showLabel: true, // with `text` set, ECharts would otherwise hide each class's range
        left: 12,
        top: 12,
        text: [layer ? ui.counted_label : ui.legend, ""],
        textGap: 8,
        itemGap: 6,
        // with the layer the area's districts stand out from the grey ones even where nothing
        // counts yet (the zero piece is blue-grey, the districts outside the area plain grey)
        outOfRange: { color: ["#e9ecef"] },
        textStyle: { fontSize: 12 },
      },
      series: [
        {
          type: "map",
          map: "chongqing",
          roam: false,
          selectedMode: false,
          aspectScale: 0.87, // a degree of longitude at 29.5°N is 0.87 of a degree of latitude
          top: 16,
          bottom: 16,
          left: "center",
          cursor: "pointer",
          itemStyle: { areaColor: "#f8f9fa", borderColor: "#adb5bd", borderWidth: 0.8 },
          label: {
            fontSize: 10,
            color: "#212529",
            textBorderColor: "#fff",
            textBorderWidth: 2,
            formatter: (p) => (byCode[p.name] ? byCode[p.name].label : p.name),
          },
          labelLayout: { hideOverlap: true },
          emphasis: {
            itemStyle: { areaColor: "#ffc107" },
          },
          data: items(overlay ? overlay.value : ""),
        },
      ],
    };
  }

  const chart = window.echarts.init(element, null, { renderer: "canvas" });
  chart.showLoading();
  fetch(element.dataset.geojson, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`${response.status}`);
      return response.json();
    })
    .then((shapes) => {
      window.echarts.registerMap("chongqing", shapes);
      chart.hideLoading();
      chart.setOption(options());
      element.dataset.ready = "1"; // the browser tests wait for this
    })
    .catch(() => chart.hideLoading());

  // A district's name may lie over a small neighbour (the inner districts): names take no
  // hover or click, so the pointer always finds the district under it.
  chart.on("finished", () => {
    chart
      .getZr()
      .storage.getDisplayList()
      .forEach((shape) => {
        if (shape.type === "text" || shape.type === "tspan") shape.silent = true;
      });
  });
  chart.on("click", (params) => {
    if (params.data && params.data.link) window.location.assign(params.data.link);
  });
  if (overlay) {
    overlay.addEventListener("change", () => {
      chart.setOption({ series: [{ data: items(overlay.value) }] });
      const url = new URL(window.location.href);
      if (overlay.value) url.searchParams.set("overlay", overlay.value);
      else url.searchParams.delete("overlay");
      window.history.replaceState(null, "", url);
    });
  }
  window.addEventListener("resize", () => chart.resize());
})();
