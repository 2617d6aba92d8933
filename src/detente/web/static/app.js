// detente workbench: tabs, CSRF header, slider labels, and plotly charts with PNG/SVG/CSV export.
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]').content;

  document.body.addEventListener("htmx:configRequest", function (e) {
    e.detail.headers["X-CSRF-Token"] = token;
  });

  // -- tabs ---------------------------------------------------------------------------------
  function activate(id) {
    var panels = document.querySelectorAll(".panel[data-tab]");
    if (!document.getElementById("tab-" + id)) { id = panels.length ? panels[0].dataset.tab : ""; }
    panels.forEach(function (p) { p.hidden = p.dataset.tab !== id; });
    document.querySelectorAll(".tab[data-tab]").forEach(function (b) {
      var on = b.dataset.tab === id;
      b.setAttribute("aria-selected", on ? "true" : "false");
      b.classList.toggle("active", on);
    });
    if (history.replaceState) { history.replaceState(null, "", "#" + id); }
    var panel = document.getElementById("tab-" + id);
    if (!panel) { return; }
    // Panels that load their content when first shown (the Timing tab's curves).
    panel.querySelectorAll("[data-autoload]:not([data-loaded])").forEach(function (el) {
      el.dataset.loaded = "1";
      htmx.trigger(el, "autoload");
    });
    var nav = document.querySelector("nav.tabs");
    if (nav && nav.getBoundingClientRect().top < 0) { nav.scrollIntoView({ block: "start" }); }
    drawPlots(panel);
  }
  function current() { return (location.hash || "#scenario").slice(1); }
  document.addEventListener("click", function (e) {
    var b = e.target.closest(".tab[data-tab]");
    if (b) { activate(b.dataset.tab); return; }
    if (e.target.closest(".dismiss")) { e.target.closest(".error").remove(); return; }
    if (e.target.id === "levers-reset") {
      document.querySelectorAll(".lever-slider").forEach(function (s) { s.value = 1; label(s); });
      htmx.trigger("#levers-panel", "refresh");
    }
  });

  // -- sliders ------------------------------------------------------------------------------
  function label(s) {
    var out = s.parentElement.querySelector("output");
    if (out) { out.value = Number(s.value).toFixed(2) + "\u00d7"; }
  }
  document.addEventListener("input", function (e) {
    if (e.target.classList && e.target.classList.contains("lever-slider")) { label(e.target); }
  });

  // -- charts -------------------------------------------------------------------------------
  function csvOf(gd) {
    var rows = [["trace", "x", "y"]];
    (gd.data || []).forEach(function (t) {
      if (t.hoverinfo === "skip") { return; }
      var xs = t.x || [], ys = t.y || [];
      if (t.type === "heatmap") {
        (t.y || []).forEach(function (yv, i) {
          (t.x || []).forEach(function (xv, j) { rows.push([t.name || "", xv + " / " + yv, t.z[i][j]]); });
        });
        return;
      }
      var n = Math.max(xs.length, ys.length);
      for (var i = 0; i < n; i++) { rows.push([t.name || "", xs[i], ys[i]]); }
    });
    return rows.map(function (r) {
      return r.map(function (v) {
        var s = v === undefined || v === null ? "" : String(v);
        if (/^[=+\-@\t\r]/.test(s) && isNaN(Number(s))) { s = "'" + s; }
        return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
      }).join(",");
    }).join("\n") + "\n";
  }
  function download(name, text, type) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: type }));
    a.download = name;
    document.body.appendChild(a); a.click(); a.remove();
  }
  function drawPlots(root) {
    if (!root || !window.Plotly) { return; }
    root.querySelectorAll(".plot[data-fig]").forEach(function (el) {
      if (el.offsetParent === null) { return; }  // hidden: drawn when its tab opens
      if (el.dataset.drawn) { window.Plotly.Plots.resize(el); return; }
      var fig = JSON.parse(el.dataset.fig);
      var name = el.dataset.name || "chart";
      var config = {
        responsive: true, displaylogo: false,
        toImageButtonOptions: { format: "png", filename: name, scale: 2 },
        modeBarButtonsToAdd: [
          { name: "Download SVG", title: "Download as SVG", icon: window.Plotly.Icons.camera,
            click: function (gd) { window.Plotly.downloadImage(gd, { format: "svg", filename: name }); } },
          { name: "Download CSV", title: "Download the data as CSV", icon: window.Plotly.Icons.disk,
            click: function (gd) { download(name + ".csv", csvOf(gd), "text/csv"); } }
        ]
      };
      el.innerHTML = "";
      el.dataset.drawn = "1";
      window.Plotly.newPlot(el, fig.data, fig.layout, config);
    });
  }
  window.detenteCsv = csvOf;
  // Charts inside a closed <details> are drawn when it opens.
  document.addEventListener("toggle", function (e) {
    if (e.target.open) { drawPlots(e.target); }
  }, true);
  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target && e.detail.target.id === "workbench") { activate(current()); }
    drawPlots(document.querySelector(".panel:not([hidden])"));
  });
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target && (e.detail.target.id === "run-detail" || e.detail.target.id === "compare-out")) {
      e.detail.target.scrollIntoView({ behavior: "auto", block: "start" });
    }
  });
  // Start once htmx has processed the page (its DOMContentLoaded listener was added first).
  if (document.readyState === "complete") { activate(current()); }
  else { document.addEventListener("DOMContentLoaded", function () { activate(current()); }); }
  window.addEventListener("load", function () { drawPlots(document.querySelector(".panel:not([hidden])")); });
})();
