/* tokkit's HTML report: everything on the page is drawn from the JSON in #tokkit-data,
   which tokkit/report_html.py writes from the tidy result rows (plus the stored sample
   tokenizations and vocabulary profiles). Inlined into every report: no network, no
   library. The controls at the top (your languages, the baseline) redraw every section. */
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("tokkit-data").textContent);
  const TOKS = D.tokenizers;
  const METRICS = Object.fromEntries(D.metrics.map((m) => [m.name, m]));
  const COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"];
  const SCRIPT_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];
  const state = {
    corpus: 0, query: "", baseline: TOKS.length > 1 ? 0 : -1, metric: null,
    sort: { key: "lang", dir: 1 }, filter: "", sampleLang: null, showPivot: true,
  };

  // ---- DOM --------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    for (const child of children.flat(Infinity)) {
      if (child != null && child !== false) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function s(tag, attrs, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    setAttrs(node, attrs);
    for (const child of children.flat(Infinity)) if (child != null) node.append(child instanceof Node ? child : String(child));
    return node;
  }
  function setAttrs(node, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
  }
  const $ = (id) => document.getElementById(id);
  function fill(id, ...children) {
    const box = $(id);
    box.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false));
    return box;
  }
  function swatch(colour) { return h("span", { class: "swatch", style: `background:${colour}` }); }
  function tokLabel(t) { return h("span", {}, swatch(COLOURS[t % COLOURS.length]), TOKS[t]); }

  // ---- numbers ------------------------------------------------------------------------
  /** As tokkit.results.format_value: whole numbers as they are, others to 4 significant digits. */
  function fmt(v) {
    if (v == null) return "–";
    if (Number.isInteger(v)) return Math.abs(v) >= 10000 ? v.toLocaleString("en") : String(v);
    return String(Number(v.toPrecision(Math.abs(v) >= 1e-3 ? 4 : 3)));
  }
  function pct(v) { return v == null ? "–" : `${(100 * v).toFixed(v >= 0.9995 || v < 0.0005 ? 0 : 1)}%`; }
  function times(v) { return v == null ? "–" : `${fmt(v)}×`; }
  function median(values) {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
  function mean(values) { return values.reduce((a, b) => a + b, 0) / values.length; }
  /** The indices of the best values (all of them when tied); none without a direction. */
  function best(values, higher) {
    const present = values.filter((v) => v != null);
    if (higher == null || present.length < 2) return new Set();
    const target = higher ? Math.max(...present) : Math.min(...present);
    return new Set(values.flatMap((v, i) => (v === target ? [i] : [])));
  }

  // ---- the data of the chosen corpus ------------------------------------------------------
  const C = () => D.corpora[state.corpus];
  const has = (metric) => metric in C().values;
  function value(metric, lang, t) {
    const rows = C().values[metric];
    const v = rows && rows[lang] ? rows[lang][t] : null;
    return v == null ? null : v;
  }
  const scriptOf = (lang) => C().scripts[lang] || "unknown";
  const scriptLabel = (code) => (D.script_names[code] ? `${code} (${D.script_names[code]})` : code);
  const higherIsBetter = (metric) => (METRICS[metric] ? METRICS[metric].higher : null);
  /** Premiums leave the pivot out of every summary: its premium is 1 by definition. */
  const pool = (metric, langs) => (METRICS[metric] && METRICS[metric].pivot ? langs.filter((l) => l !== D.pivot) : langs);
  function valuesOf(metric, langs, t) { return pool(metric, langs).map((l) => value(metric, l, t)).filter((v) => v != null); }
  function medianOf(metric, langs, t) { const v = valuesOf(metric, langs, t); return v.length ? median(v) : null; }
  function meanOf(metric, langs, t) { const v = valuesOf(metric, langs, t); return v.length ? mean(v) : null; }
  /** The metrics with a value for some language (not only for the whole corpus). */
  const perLanguage = () => D.metrics.map((m) => m.name).filter((m) => has(m) && C().langs.some((l) => C().values[m][l]));

  // ---- your languages -----------------------------------------------------------------------
  function terms() { return state.query.split(/[\s,;]+/).map((t) => t.trim().toLowerCase()).filter(Boolean); }
  /** A language is chosen by its code (tur_Latn), its ISO 639 part (tur), its script's code (Latn) or name (latin). */
  function matches(lang, wanted) {
    if (!wanted.length) return true;
    const iso = lang.split("_")[0].toLowerCase();
    const script = scriptOf(lang).toLowerCase();
    const name = (D.script_names[scriptOf(lang)] || "").toLowerCase();
    return wanted.some((t) => t === lang.toLowerCase() || t === iso || t === script || (name && (t === name || t === name.split(" ")[0])));
  }
  function chosen() { const wanted = terms(); return C().langs.filter((l) => matches(l, wanted)); }
  function scriptsOf(langs) {
    const count = new Map();
    for (const l of langs) count.set(scriptOf(l), (count.get(scriptOf(l)) || 0) + 1);
    return [...count.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }

  // ---- the tooltip ----------------------------------------------------------------------------
  const tip = h("div", { id: "tip", role: "tooltip" });
  document.body.append(tip);
  function showTip(event, html) {
    tip.innerHTML = html;
    tip.style.display = "block";
    const x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = event.clientY + 16 + tip.offsetHeight > window.innerHeight ? event.clientY - tip.offsetHeight - 10 : event.clientY + 16;
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  }
  function hideTip() { tip.style.display = "none"; }
  const esc = (text) => String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  function langTip(lang, metric) {
    const rows = TOKS.map((name, t) => `<div><span class="swatch" style="background:${COLOURS[t % COLOURS.length]}"></span>${esc(name)}: <b>${fmt(value(metric, lang, t))}</b></div>`);
    return `<div><b>${esc(lang)}</b> <span class="k">${esc(scriptLabel(scriptOf(lang)))}</span></div><div class="k">${esc(metric)}</div>${rows.join("")}`;
  }

  // ---- axes -----------------------------------------------------------------------------------
  /** A y scale over ``values``: logarithmic when they are positive and span more than 3×. */
  function yScale(values, top, bottom, ref) {
    const all = ref != null ? [...values, ref] : values;
    let lo = Math.min(...all), hi = Math.max(...all);
    const log = lo > 0 && hi / lo > 3;
    if (lo === hi) { lo -= Math.abs(lo) * 0.1 || 1; hi += Math.abs(hi) * 0.1 || 1; }  // one value: a band around it
    const f = log ? Math.log : (v) => v;
    const pad = (f(hi) - f(lo)) * 0.06;
    const a = f(lo) - pad, b = f(hi) + pad;
    const y = (v) => bottom - ((f(v) - a) / (b - a)) * (bottom - top);
    let ticks;
    if (log) {
      ticks = [];
      for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
        for (const m of [1, 2, 5]) { const t = m * 10 ** e; if (t >= Math.exp(a) && t <= Math.exp(b)) ticks.push(t); }
      }
      if (ticks.length < 3) ticks = linearTicks(Math.exp(a), Math.exp(b));
    } else ticks = linearTicks(a, b);
    return { y, ticks, log };
  }
  function linearTicks(a, b) {
    const raw = (b - a) / 5, step0 = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * step0).find((st) => (b - a) / st <= 6);
    const out = [];
    for (let t = Math.ceil(a / step) * step; t <= b + 1e-12; t += step) out.push(Number(t.toPrecision(12)));
    return out;
  }
  function axisY(scale, left, right, label) {
    return s("g", { class: "axis" },
      s("g", { class: "grid" }, scale.ticks.map((t) => s("line", { x1: left, x2: right, y1: scale.y(t), y2: scale.y(t) }))),
      scale.ticks.map((t) => s("text", { x: left - 6, y: scale.y(t) + 4, "text-anchor": "end" }, fmt(t))),
      s("text", { x: 14, y: (scale.y(scale.ticks[0]) + scale.y(scale.ticks[scale.ticks.length - 1])) / 2, transform: `rotate(-90 14 ${(scale.y(scale.ticks[0]) + scale.y(scale.ticks[scale.ticks.length - 1])) / 2})`, "text-anchor": "middle" },
        label + (scale.log ? " (log scale)" : "")));
  }
  function legend(indices) {
    return h("div", { class: "legend" }, indices.map((t) => tokLabel(t)));
  }
  /** The width a chart may take: the page's, so that it is not shrunk and its labels keep their size. */
  function chartWidth() {
    const main = document.querySelector("main");
    const padding = parseFloat(getComputedStyle(main).paddingLeft) + parseFloat(getComputedStyle(main).paddingRight);
    return Math.max(720, main.clientWidth - padding);
  }
  /** A stable offset in [-0.5, 0.5) for a language, so dots do not sit on one another. */
  function jitter(i) { return ((i * 0.6180339887) % 1) - 0.5; }

  // ---- summary -------------------------------------------------------------------------------
  function summaryColumns(langs) {
    const cols = [];
    const others = pool("premium", langs);
    if (has("premium")) {
      cols.push({ label: "premium", title: `${METRICS.premium.about} Median over the languages chosen.`, higher: false, get: (t) => medianOf("premium", langs, t), show: times });
      cols.push({
        label: "worst", title: "The highest premium among the languages chosen, and its language.", higher: false,
        get: (t) => worst(others, t).value, show: (v, t) => (v == null ? "–" : `${times(v)} ${worst(others, t).lang}`),
      });
      if (TOKS.length > 1) cols.push({
        label: "lowest in", title: "In how many of the languages chosen this tokenizer has the lowest premium (ties count for each).",
        higher: true, get: (t) => lowestIn(others, t), show: (v) => `${v} of ${others.filter((l) => TOKS.some((_, u) => value("premium", l, u) != null)).length}`,
      });
    }
    if (has("bytes_per_token")) cols.push({ label: "bytes / token", title: `${METRICS.bytes_per_token.about} Median over the languages chosen.`, higher: true, get: (t) => medianOf("bytes_per_token", langs, t), show: fmt });
    if (has("roundtrip_rate")) cols.push({ label: "round trip", title: `${METRICS.roundtrip_rate.about} Mean over the languages chosen.`, higher: true, get: (t) => meanOf("roundtrip_rate", langs, t), show: pct });
    if (has("byte_fallback_rate")) cols.push({ label: "byte tokens", title: `${METRICS.byte_fallback_rate.about} Median over the languages chosen.`, higher: false, get: (t) => medianOf("byte_fallback_rate", langs, t), show: pct });
    if (state.baseline >= 0 && has("ctc")) {
      cols.push({
        baseline: true, label: `tokens / ${TOKS[state.baseline]}`, title: `The median over the languages chosen of ctc / ctc of ${TOKS[state.baseline]} on the same text.`,
        higher: false, get: (t) => { const r = ratios(t, langs); return r.length ? median(r.map((x) => x.ratio)) : null; }, show: times,
      });
    }
    return cols;
  }
  function worst(langs, t) {
    let found = { value: null, lang: null };
    for (const l of langs) { const v = value("premium", l, t); if (v != null && (found.value == null || v > found.value)) found = { value: v, lang: l }; }
    return found;
  }
  function lowestIn(langs, t) {
    return langs.filter((l) => best(TOKS.map((_, u) => value("premium", l, u)), false).has(t)).length;
  }
  /** ctc(t) / ctc(baseline) per language: how many tokens t needs for the baseline's one. */
  function ratios(t, langs) {
    const b = state.baseline;
    return langs.flatMap((l) => { const a = value("ctc", l, t), z = value("ctc", l, b); return a != null && z ? [{ lang: l, ratio: a / z }] : []; });
  }
  function renderSummary() {
    const langs = chosen();
    if (!C().langs.length) {
      fill("summary-body", h("p", { class: "lead" }, "This corpus has no languages: each metric on the whole corpus."), overviewTable());
      return;
    }
    if (!langs.length) { fill("summary-body", h("p", { class: "verdict" }, `No language matches “${state.query}”: give codes (tur_Latn), ISO codes (tur), scripts (Cyrl, Arabic).`)); return; }
    const cols = summaryColumns(langs);
    const cells = cols.map((c) => TOKS.map((_, t) => (c.baseline && t === state.baseline ? null : c.get(t))));
    const marks = cols.map((c, i) => best(cells[i], c.higher));
    const table = h("table", { id: "summary-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "tokenizer (vocabulary)"), cols.map((c) => h("th", { class: "num", title: c.title }, c.label)))),
      h("tbody", {}, TOKS.map((name, t) => h("tr", { "data-tokenizer": name },
        h("td", {}, tokLabel(t), D.vocab_sizes[name] != null ? h("span", { class: "diff" }, D.vocab_sizes[name].toLocaleString("en")) : null),
        cols.map((c, i) => c.baseline && t === state.baseline ? h("td", { class: "num note" }, "baseline")
          : h("td", { class: `num${marks[i].has(t) ? " best" : ""}`, "data-value": cells[i][t] ?? "" }, c.show(cells[i][t], t)))))));
    fill("summary-body", verdict(langs),
      h("p", { class: "note" }, `Medians over the ${langs.length} languages chosen (premiums without ${D.pivot}); round trip: the mean. `,
        "Hover a heading for its definition."),
      h("div", { class: "wide" }, table));
  }
  function verdict(langs) {
    const box = h("div", { class: "verdict", id: "verdict" });
    const scope = state.query ? `the ${langs.length} language${langs.length > 1 ? "s" : ""} you chose` : `all ${langs.length} languages`;
    const left = D.dropped.filter((d) => d.corpus === C().spec && langs.includes(d.lang));
    // languages with a premium, or without one by Petrov's rule: a sweep has few of them per tokenizer
    const covered = TOKS.map((name, t) => valuesOf("premium", langs, t).length + left.filter((d) => d.tokenizer === name).length);
    if (has("premium") && Math.min(...covered) < Math.max(...covered) / 2) {
      box.append(h("p", {}, "These tokenizers were evaluated on different languages (a sweep trains one per language): ",
        "compare them language by language below."));
    } else if (has("premium") && TOKS.some((_, t) => medianOf("premium", langs, t) != null)) {
      const order = TOKS.map((_, t) => ({ t, v: medianOf("premium", langs, t) })).filter((x) => x.v != null).sort((a, b) => a.v - b.v);
      const top = order[0];
      const rest = order.slice(1).map((x) => `${TOKS[x.t]} ${times(x.v)}`).join(", ");
      const others = pool("premium", langs);
      box.append(h("p", {}, "Over ", scope, order.length > 1 ? [", ", h("b", {}, TOKS[top.t]), " is the fairest"] : [", ", h("b", {}, TOKS[top.t])],
        `: its median premium is ${times(top.v)} (a text costs ${fmt(top.v)} times the tokens of the same text in ${D.pivot})`,
        rest ? `, against ${rest}.` : ".",
        order.length > 1 && others.length ? ` It has the lowest premium in ${lowestIn(others, top.t)} of ${others.length}.` : ""));
      const changed = TOKS.map((_, t) => ({ t, v: meanOf("roundtrip_rate", langs, t) })).filter((x) => x.v != null && x.v < 1);
      if (changed.length) {
        box.append(h("p", { class: "warn" }, "But ", changed.map((x) => `${TOKS[x.t]} changes ${pct(1 - x.v)} of the lines it encodes`).join(", and "),
          ": decode(encode(line)) is not the line, so its tokens do not stand for the text alone."));
      }
      if (left.length) {
        box.append(h("p", { class: "warn" }, `No premium for ${left.length} language–tokenizer pair${left.length > 1 ? "s" : ""} (`,
          [...new Set(left.map((d) => d.tokenizer))].map((name) => `${name}: ${left.filter((d) => d.tokenizer === name).length}`).join(", "),
          "): more than 10% of their tokens are unknown, so their premium would look low (Petrov et al. 2023); ",
          h("a", { href: "#dropped" }, "the list"), " is at the bottom."));
      }
      const gaps = scriptGaps(langs);
      if (gaps.length && order.length > 1) {
        box.append(h("p", {}, "Why, by script: where the tokenizers differ most"),
          h("ul", {}, gaps.slice(0, 3).map((g) => h("li", {}, h("b", {}, scriptLabel(g.script)), ` (${g.n} language${g.n > 1 ? "s" : ""}): `,
            g.medians.map((v, t) => `${TOKS[t]} ${times(v)}`).join(", "), byteNote(g)))));
      }
      const example = sampleDefault(langs);
      if (example) box.append(h("p", {}, "See how each one cuts a sentence of ", h("a", { href: "#sentences", onclick: () => { state.sampleLang = example; renderSamples(); } }, example), " below."));
    } else if (has("bytes_per_token")) {
      const order = TOKS.map((_, t) => ({ t, v: medianOf("bytes_per_token", langs, t) })).filter((x) => x.v != null).sort((a, b) => b.v - a.v);
      if (order.length) box.append(h("p", {}, h("b", {}, TOKS[order[0].t]), ` compresses best over ${scope}: a median of ${fmt(order[0].v)} bytes per token`,
        order.length > 1 ? `, against ${order.slice(1).map((x) => `${TOKS[x.t]} ${fmt(x.v)}`).join(", ")}.` : "."));
    }
    return box;
  }
  /** Scripts ranked by how far apart the tokenizers' median premiums are (highest over lowest). */
  function scriptGaps(langs) {
    return scriptsOf(pool("premium", langs)).map(([script, n]) => {
      const members = langs.filter((l) => scriptOf(l) === script);
      const medians = TOKS.map((_, t) => medianOf("premium", members, t));
      const present = medians.filter((v) => v != null);
      return { script, n, members, medians, gap: present.length > 1 ? Math.max(...present) / Math.min(...present) : 1 };
    }).filter((g) => g.gap > 1.05).sort((a, b) => b.gap - a.gap);
  }
  function byteNote(gap) {
    if (!has("byte_fallback_rate")) return "";
    const present = gap.medians.map((v, t) => ({ v, t })).filter((x) => x.v != null);
    const worstTok = present.sort((a, b) => b.v - a.v)[0].t;
    const share = medianOf("byte_fallback_rate", gap.members, worstTok);
    return share != null && share >= 0.05 ? `; ${pct(share)} of ${TOKS[worstTok]}'s tokens there are bytes of characters it lacks` : "";
  }

  // ---- by script --------------------------------------------------------------------------------
  function renderScripts() {
    const langs = chosen();
    // a round trip that is exact for every tokenizer and language says nothing per script: the summary says it once
    const lossless = langs.every((l) => TOKS.every((_, t) => [1, null].includes(value("roundtrip_rate", l, t))));
    const groups = [["premium", "median premium", medianOf, times], ["bytes_per_token", "median bytes / token", medianOf, fmt], ["roundtrip_rate", "round trip (mean)", meanOf, pct]]
      .filter(([m]) => has(m) && !(m === "roundtrip_rate" && lossless));
    const section = $("scripts");
    section.classList.toggle("hidden", !C().langs.length || !groups.length);
    if (!langs.length || !groups.length) { fill("scripts-body"); return; }
    const head = h("thead", {},
      h("tr", {}, h("th", { rowspan: 2 }, "script"), h("th", { rowspan: 2, class: "num" }, "languages"),
        groups.map(([m, label]) => h("th", { class: "group", colspan: TOKS.length, title: METRICS[m].about }, label))),
      h("tr", { class: "sub" }, groups.map(() => TOKS.map((name, t) => h("th", { class: `num${t === 0 ? " first" : ""}` }, tokLabel(t))))));
    const body = h("tbody", {}, scriptsOf(langs).map(([script, n]) => {
      const members = langs.filter((l) => scriptOf(l) === script);
      return h("tr", { class: "clickable", title: `Choose the ${n} ${script} language${n > 1 ? "s" : ""}`, "data-script": script, onclick: () => choose(script) },
        h("td", {}, scriptLabel(script)), h("td", { class: "num" }, n),
        groups.map(([m, , agg, show]) => {
          const cells = TOKS.map((_, t) => agg(m, members, t));
          const marks = best(cells, higherIsBetter(m));
          return cells.map((v, t) => h("td", { class: `num${t === 0 ? " first" : ""}${marks.has(t) ? " best" : ""}`, "data-value": v ?? "" }, show(v)));
        }));
    }));
    fill("scripts-body", h("div", { class: "scroll" }, h("table", { id: "scripts-table" }, head, body)));
  }
  function choose(query) {
    state.query = query;
    $("query").value = query;
    renderAll();
  }

  // ---- charts -------------------------------------------------------------------------------------
  function metricSelect(id) {
    return h("label", {}, "metric", h("select", { id, onchange: (e) => { state.metric = e.target.value; renderCharts(); renderLanguages(); } },
      perLanguage().map((m) => h("option", { value: m, selected: m === state.metric }, m))));
  }
  function renderCharts() {
    const langs = chosen();
    const section = $("charts");
    section.classList.toggle("hidden", !C().langs.length || !state.metric);
    if (!langs.length || !state.metric) { fill("charts-body"); return; }
    const metric = state.metric;
    const about = METRICS[metric] ? `${METRICS[metric].about} ${directionText(metric)}` : "";
    fill("charts-body", h("div", { class: "toolbar" }, metricSelect("chart-metric"), h("span", { class: "note" }, about)),
      legend(TOKS.map((_, t) => t)),
      h("h3", {}, `${metric} by script: one dot per language`),
      h("div", { class: "chart", id: "strip-chart" }, stripChart(metric, pool(metric, langs))),
      h("h3", {}, `${metric} of every language, sorted`),
      h("div", { class: "chart", id: "sorted-chart" }, sortedChart(pool(metric, langs), TOKS.map((_, t) => ({ t, get: (l) => value(metric, l, t) })), {
        label: metric, ref: METRICS[metric] && METRICS[metric].pivot ? 1 : null, tip: (l) => langTip(l, metric),
      })));
  }
  function directionText(metric) {
    const higher = higherIsBetter(metric);
    return higher === true ? "Higher is better." : higher === false ? "Lower is better." : "";
  }
  /** Per script, a column per tokenizer: a dot per language and a bar at the median. */
  function stripChart(metric, langs) {
    const scripts = scriptsOf(langs);
    const values = langs.flatMap((l) => TOKS.map((_, t) => value(metric, l, t))).filter((v) => v != null);
    if (!values.length) return h("p", { class: "note" }, `No ${metric} for these languages.`);
    const left = 64, top = 12, bottom = 300;
    const room = chartWidth() - left - 10;
    const sub = Math.max(8, Math.min(26, (room / scripts.length - 14) / TOKS.length));
    const col = sub * TOKS.length + 14;
    const width = Math.max(720, left + col * scripts.length + 10);
    const ref = METRICS[metric] && METRICS[metric].pivot ? 1 : null;
    const scale = yScale(values, top, bottom, ref);
    const svg = s("svg", { viewBox: `0 0 ${width} ${bottom + 48}`, width, role: "img", "aria-label": `${metric} by script` });
    svg.append(axisY(scale, left, width - 6, metric));
    if (ref != null) svg.append(s("line", { class: "ref", x1: left, x2: width - 6, y1: scale.y(ref), y2: scale.y(ref) }));
    scripts.forEach(([script, n], k) => {
      const x0 = left + k * col + 7;
      if (k % 2 === 0) svg.prepend(s("rect", { x: x0 - 7, y: top, width: col, height: bottom - top, fill: "#f6f8fa" }));
      svg.append(s("text", { x: x0 + (col - 14) / 2, y: bottom + 16, "text-anchor": "middle" }, script),
        s("text", { x: x0 + (col - 14) / 2, y: bottom + 31, "text-anchor": "middle", class: "count", fill: "#59636e" }, `${n}`));
      const members = langs.filter((l) => scriptOf(l) === script);
      TOKS.forEach((_, t) => {
        const cx = x0 + t * sub + sub / 2;
        const colour = COLOURS[t % COLOURS.length];
        members.forEach((l, i) => {
          const v = value(metric, l, t);
          if (v == null) return;
          svg.append(s("circle", {
            class: "dot", cx: cx + (members.length > 1 ? jitter(i) * sub * 0.7 : 0), cy: scale.y(v), r: 3.4, fill: colour,
            "data-lang": l, "data-tokenizer": TOKS[t],
            onmouseenter: (e) => { light(svg, l, true); showTip(e, langTip(l, metric)); }, onmousemove: (e) => showTip(e, langTip(l, metric)),
            onmouseleave: () => { light(svg, l, false); hideTip(); },
          }));
        });
        const m = medianOf(metric, members, t);
        if (m != null && members.length > 1) svg.append(s("line", { class: "median", x1: cx - sub * 0.45, x2: cx + sub * 0.45, y1: scale.y(m), y2: scale.y(m), stroke: colour }));
      });
    });
    svg.append(s("text", { x: left, y: bottom + 45, fill: "#59636e" }, "under each script: its number of languages; bars: the median"));
    return svg;
  }
  function light(svg, lang, on) {
    for (const dot of svg.querySelectorAll(`circle[data-lang="${CSS.escape(lang)}"]`)) dot.classList.toggle("lit", on);
  }
  /** One column per language, sorted by the first series; a dot per series; hover names the language. */
  function sortedChart(langs, series, { label, ref, tip: tipOf }) {
    const values = langs.flatMap((l) => series.map((x) => x.get(l))).filter((v) => v != null);
    if (!values.length) return h("p", { class: "note" }, "Nothing to draw for these languages.");
    const order = [...langs].sort((a, b) => (series[0].get(a) ?? Infinity) - (series[0].get(b) ?? Infinity) || a.localeCompare(b));
    const left = 64, top = 10, bottom = 250;
    const room = chartWidth() - left - 10;
    const step = Math.max(4, Math.min(22, room / order.length));
    const width = Math.max(720, left + step * order.length + 10);
    const scale = yScale(values, top, bottom, ref);
    const svg = s("svg", { viewBox: `0 0 ${width} ${bottom + 22}`, width, role: "img", "aria-label": label });
    svg.append(axisY(scale, left, width - 6, label));
    if (ref != null) svg.append(s("line", { class: "ref", x1: left, x2: width - 6, y1: scale.y(ref), y2: scale.y(ref) }));
    const guide = s("line", { x1: 0, x2: 0, y1: top, y2: bottom, stroke: "#8c959f", "stroke-width": 1, visibility: "hidden" });
    svg.append(guide);
    order.forEach((l, i) => {
      const x = left + (i + 0.5) * step;
      for (const { t, get } of series) {
        const v = get(l);
        if (v != null) svg.append(s("circle", { class: "dot", cx: x, cy: scale.y(v), r: Math.min(3.4, step / 2 + 0.6), fill: COLOURS[t % COLOURS.length], "pointer-events": "none" }));
      }
      svg.append(s("rect", {
        x: x - step / 2, y: top, width: step, height: bottom - top, fill: "transparent", "data-lang": l,
        onmouseenter: (e) => { guide.setAttribute("x1", x); guide.setAttribute("x2", x); guide.setAttribute("visibility", "visible"); showTip(e, tipOf(l)); },
        onmousemove: (e) => showTip(e, tipOf(l)), onmouseleave: () => { guide.setAttribute("visibility", "hidden"); hideTip(); },
      }));
    });
    svg.append(s("text", { x: left, y: bottom + 16, fill: "#59636e" }, `${order.length} languages, sorted by ${TOKS[series[0].t]}; hover for names`));
    return svg;
  }

  // ---- against the baseline ---------------------------------------------------------------------
  function renderBaseline() {
    const langs = chosen();
    const section = $("baseline");
    section.classList.toggle("hidden", !C().langs.length || TOKS.length < 2 || !has("ctc"));
    const b = state.baseline;
    if (b < 0) { fill("baseline-body", h("p", { class: "note" }, "Choose a baseline in the bar at the top.")); return; }
    const others = TOKS.map((_, t) => t).filter((t) => t !== b);
    const lines = others.map((t) => {
      const r = ratios(t, langs);
      if (!r.length) return null;
      const fewer = r.filter((x) => x.ratio < 1).length, more = r.filter((x) => x.ratio > 1).length;
      return h("li", { "data-tokenizer": TOKS[t] }, tokLabel(t), `: fewer tokens than ${TOKS[b]} in ${fewer} of ${r.length} languages, more in ${more}; median ${times(median(r.map((x) => x.ratio)))} its tokens`);
    });
    const tipOf = (l) => `<div><b>${esc(l)}</b> <span class="k">${esc(scriptLabel(scriptOf(l)))}</span></div><div class="k">tokens per ${esc(TOKS[b])} token</div>` +
      others.map((t) => { const a = value("ctc", l, t), z = value("ctc", l, b); return `<div><span class="swatch" style="background:${COLOURS[t % COLOURS.length]}"></span>${esc(TOKS[t])}: <b>${a != null && z ? times(a / z) : "–"}</b> <span class="k">(${fmt(a)} / ${fmt(z)})</span></div>`; }).join("");
    fill("baseline-body",
      h("p", { class: "lead" }, `Tokens each tokenizer needs for the same text, per token of ${TOKS[b]} (ctc / ctc of ${TOKS[b]}): below 1 it needs fewer.`),
      h("ul", { id: "baseline-summary" }, lines),
      legend(others),
      h("div", { class: "chart", id: "baseline-chart" }, sortedChart(langs, others.map((t) => ({ t, get: (l) => { const a = value("ctc", l, t), z = value("ctc", l, b); return a != null && z ? a / z : null; } })), {
        label: `tokens per ${TOKS[b]} token`, ref: 1, tip: tipOf,
      })));
  }

  // ---- every language ----------------------------------------------------------------------------
  function renderLanguages() {
    const section = $("languages");
    section.classList.toggle("hidden", !C().langs.length || !state.metric);
    if (!state.metric) return;
    const metric = state.metric, b = state.baseline, higher = higherIsBetter(metric);
    const wanted = state.filter.trim().toLowerCase();
    const langs = chosen().filter((l) => !wanted || l.toLowerCase().includes(wanted) || scriptOf(l).toLowerCase().includes(wanted));
    const rows = langs.filter((l) => TOKS.some((_, t) => value(metric, l, t) != null));
    const key = state.sort.key, dir = state.sort.dir;
    const sortValue = (l) => (key === "lang" ? l : key === "script" ? `${scriptOf(l)} ${l}` : value(metric, l, key));
    rows.sort((x, y) => {
      const a = sortValue(x), z = sortValue(y);
      if (a == null || z == null) return a == null ? (z == null ? 0 : 1) : -1;  // no value: last either way
      return (typeof a === "string" ? a.localeCompare(z) : a - z) * dir || x.localeCompare(y);
    });
    const header = (label, k, cls) => h("th", {
      class: `sortable${cls ? ` ${cls}` : ""}`, "data-key": k, "aria-sort": key === k ? (dir > 0 ? "ascending" : "descending") : null,
      onclick: () => { state.sort = { key: k, dir: key === k ? -dir : typeof k === "number" && higher !== false ? -1 : 1 }; renderLanguages(); },
    }, label);
    const diff = (v, base) => {
      if (b < 0 || v == null || base == null || !base) return null;
      const change = v / base - 1;
      if (Math.abs(change) < 0.0005) return h("span", { class: "diff" }, "=");
      const good = higher == null ? "" : (change > 0) === higher ? " better" : " worse";
      return h("span", { class: `diff${good}`, title: `against ${TOKS[b]}` }, `${change > 0 ? "+" : "−"}${(100 * Math.abs(change)).toFixed(1)}%`);
    };
    const table = h("table", { id: "languages-table" },
      h("thead", {}, h("tr", {}, header("language", "lang"), header("script", "script"), TOKS.map((_, t) => header(tokLabel(t), t, "num")))),
      h("tbody", {}, rows.map((l) => {
        const cells = TOKS.map((_, t) => value(metric, l, t));
        const marks = best(cells, higher);
        return h("tr", { "data-lang": l }, h("td", {}, l), h("td", {}, scriptOf(l)),
          cells.map((v, t) => h("td", { class: `num${marks.has(t) ? " best" : ""}`, "data-value": v ?? "" }, fmt(v), t !== b ? diff(v, cells[b]) : null)));
      }), h("tr", { class: "summary" }, h("td", { colspan: 2 }, `median${METRICS[metric] && METRICS[metric].pivot ? ` without ${D.pivot}` : ""}`),
        TOKS.map((_, t) => h("td", { class: "num" }, fmt(medianOf(metric, rows, t)))))));
    if (!$("table-filter")) {  // the toolbar is drawn once, so that typing in its filter keeps the focus
      fill("languages-body",
        h("div", { class: "toolbar" }, metricSelect("table-metric"),
          h("label", {}, "filter", h("input", { type: "search", id: "table-filter", value: state.filter, placeholder: "code or script", oninput: (e) => { state.filter = e.target.value; renderLanguages(); } })),
          h("span", { class: "note", id: "languages-note" })),
        h("div", { class: "scroll", id: "languages-box" }));
    }
    $("table-metric").value = metric;
    $("languages-note").textContent = `${rows.length} languages; click a column to sort${b >= 0 ? `; % against ${TOKS[b]}` : ""}. ${directionText(metric)}`;
    fill("languages-box", table);
  }

  function overviewTable() {
    const rows = C().overview;
    return h("table", { id: "overview-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "metric"), TOKS.map((_, t) => h("th", { class: "num" }, tokLabel(t))))),
      h("tbody", {}, rows.map((row) => {
        const marks = best(row.values, row.higher);
        return h("tr", {}, h("td", { title: METRICS[row.metric] ? METRICS[row.metric].about : "" }, row.label),
          row.values.map((v, t) => h("td", { class: `num${marks.has(t) ? " best" : ""}`, "data-value": v ?? "" }, fmt(v))));
      })));
  }
  function renderOverview() {
    $("overview").classList.toggle("hidden", !C().langs.length || !C().overview.length);
    fill("overview-body", h("p", { class: "lead" }, "Each metric on the corpus as a whole (per-language metrics: the median over languages); the best value is marked."), h("div", { class: "wide" }, overviewTable()));
  }

  // ---- how they cut a sentence ----------------------------------------------------------------------
  const sampled = () => (D.samples && D.samples.corpora[C().spec]) || null;
  /** The chosen language where the tokenizers' premiums differ most: the clearest example of why. */
  function sampleDefault(langs) {
    const here = sampled();
    if (!here) return null;
    const candidates = pool("premium", langs).filter((l) => here[l]);
    if (!candidates.length) return langs.find((l) => here[l]) || null;
    const spread = (l) => { const v = TOKS.map((_, t) => value("premium", l, t)).filter((x) => x != null); return v.length > 1 ? Math.max(...v) / Math.min(...v) : 0; };
    return candidates.reduce((a, l) => (spread(l) > spread(a) ? l : a), candidates[0]);
  }
  function renderSamples() {
    const here = sampled();
    if (!here) {
      fill("sentences-body", h("p", { class: "note" }, "No sample tokenizations in these results: tokkit eval stores them when it writes --html or --json."));
      return;
    }
    const langs = chosen().filter((l) => here[l]);
    const available = langs.length ? langs : Object.keys(here);
    if (!available.includes(state.sampleLang)) state.sampleLang = sampleDefault(available) || available[0];
    const lang = state.sampleLang;
    const pivotToo = state.showPivot && D.pivot && here[D.pivot] && lang !== D.pivot;
    fill("sentences-body",
      h("div", { class: "toolbar" },
        h("label", {}, "language", h("select", { id: "sample-lang", onchange: (e) => { state.sampleLang = e.target.value; renderSamples(); } },
          available.map((l) => h("option", { value: l, selected: l === lang }, l)))),
        D.pivot && here[D.pivot] ? h("label", {}, h("input", { type: "checkbox", id: "show-pivot", checked: state.showPivot, onchange: (e) => { state.showPivot = e.target.checked; renderSamples(); } }), `also show ${D.pivot}`) : null,
        h("span", { class: "keys" }, "each box is a token; ", h("span", { class: "tok c0" }, h("span", { class: "ws" }, D.visible[" "])), " a space, ",
          h("span", { class: "tok bytes" }, "<E6>"), " part of a character (bytes), ", h("span", { class: "tok special" }, "<s>"), " a control token or marker")),
      here[lang].map((sample, k) => h("div", { class: "sample", "data-lang": lang, "data-line": sample.line },
        h("div", { class: "source" }, `${lang}, line ${sample.line + 1}: `, h("span", { class: "text" }, sample.text)),
        cuts(sample),
        pivotToo && here[D.pivot][k] && here[D.pivot][k].line === sample.line ? [
          h("div", { class: "source" }, `${D.pivot}, the same line: `, h("span", { class: "text" }, here[D.pivot][k].text)), cuts(here[D.pivot][k], D.pivot)] : null)));
  }
  function cuts(sample, lang) {
    return TOKS.map((name, t) => {
      const rows = sample.tokens[name];
      if (!rows) return null;
      return h("div", { class: "cut", "data-tokenizer": name, "data-lang": lang || null },
        h("div", { class: "who" }, tokLabel(t)), h("div", { class: "count" }, `${rows.length} tokens`),
        h("div", { class: "tokens" }, rows.map((row, i) => chip(row, i))));
    });
  }
  function chip(row, i) {
    const [id, text, kind = "text", of] = row;
    const what = kind === "bytes" ? ` · bytes of “${of}”` : kind === "text" ? "" : ` · ${kind}`;
    const node = h("span", { class: `tok ${kind === "text" ? `c${i % 5}` : kind}`, title: `id ${id}${what}`, "data-id": id });
    if (kind !== "text") { node.textContent = text; return node; }
    for (const ch of text) node.append(D.visible[ch] ? h("span", { class: "ws" }, D.visible[ch]) : ch);
    return node;
  }

  // ---- vocabulary -----------------------------------------------------------------------------------
  function renderVocabulary() {
    const v = D.vocabulary;
    if (!v) { fill("vocabulary-body", h("p", { class: "note" }, "No vocabulary profiles in these results: tokkit eval stores them when it writes --html or --json (tokkit vocab prints them).")); return; }
    const profiles = v.profiles;
    const index = (name) => Math.max(0, TOKS.indexOf(name));
    const lengths = (p) => Object.entries(p.byte_lengths).map(([n, k]) => [Number(n), k]);
    const facts = h("table", { id: "vocabulary-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "tokenizer"), h("th", { class: "num" }, "ids"), h("th", { class: "num", title: "distinct byte strings of the ordinary tokens" }, "tokens (by bytes)"),
        h("th", { class: "num" }, "mean bytes"), h("th", { class: "num" }, "longest"), h("th", {}, "scripts of its tokens (largest first)"))),
      h("tbody", {}, profiles.map((p) => {
        const n = lengths(p), total = p.tokens || 1;
        const mix = Object.entries(p.scripts);
        return h("tr", { "data-tokenizer": p.name }, h("td", {}, tokLabel(index(p.name))), h("td", { class: "num" }, p.ids.toLocaleString("en")),
          h("td", { class: "num" }, p.tokens.toLocaleString("en")), h("td", { class: "num" }, fmt(n.reduce((a, [len, k]) => a + len * k, 0) / total)),
          h("td", { class: "num" }, n.length ? Math.max(...n.map(([len]) => len)) : "–"),
          h("td", {}, h("div", { class: "mix" }, mix.map(([script, k]) => h("span", {
            style: `width:${(100 * k) / total}%;background:${scriptColour(script)}`, "data-script": script,
            onmouseenter: (e) => showTip(e, `<b>${esc(scriptLabel(script))}</b><div>${k.toLocaleString("en")} tokens (${pct(k / total)})</div>`),
            onmousemove: (e) => showTip(e, `<b>${esc(scriptLabel(script))}</b><div>${k.toLocaleString("en")} tokens (${pct(k / total)})</div>`), onmouseleave: hideTip,
          })))));
      })));
    const shown = [...new Set(profiles.flatMap((p) => Object.entries(p.scripts).filter(([, k]) => k / (p.tokens || 1) >= 0.01).map(([sc]) => sc)))];
    const key = h("div", { class: "legend" }, shown.map((sc) => h("span", {}, swatch(scriptColour(sc)), scriptLabel(sc))), h("span", { class: "note" }, "(hover a bar for the rest)"));
    const names = profiles.map((p) => p.name);
    const overlapTable = h("table", { id: "overlap-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "tokens of … also in →"), names.map((b) => h("th", { class: "num" }, tokLabel(index(b)))))),
      h("tbody", {}, profiles.map((p) => h("tr", { "data-tokenizer": p.name }, h("td", {}, tokLabel(index(p.name))),
        names.map((b) => { const n = v.shared[p.name][b]; return h("td", { class: "num", "data-value": n, title: `${n.toLocaleString("en")} byte strings` }, b === p.name ? "–" : `${pct(n / (p.tokens || 1))} (${n.toLocaleString("en")})`); })))));
    fill("vocabulary-body",
      h("p", { class: "lead" }, "What each vocabulary holds, read off the bytes every token stands for (the same token under different space conventions, Ġ, ▁ or a byte, counts once)."),
      h("div", { class: "wide" }, facts), key,
      h("h3", {}, "Token lengths in bytes"), h("div", { class: "chart", id: "lengths-chart" }, lengthChart(profiles, index)),
      h("h3", {}, "Shared tokens, by bytes"), h("p", { class: "note" }, "Each row: the share of that tokenizer's tokens that the column's tokenizer also has."), overlapTable);
  }
  const scriptColourMap = new Map();
  function scriptColour(script) {
    if (script === "Zyyy") return "#bab0ac";
    if (script === "bytes") return "#cf222e";
    if (script === "mixed") return "#57606a";
    if (!scriptColourMap.has(script)) scriptColourMap.set(script, SCRIPT_COLOURS[scriptColourMap.size % SCRIPT_COLOURS.length]);
    return scriptColourMap.get(script);
  }
  function lengthChart(profiles, index) {
    const top = 16, cap = 16;
    const bins = Array.from({ length: cap }, (_, i) => i + 1);
    const share = profiles.map((p) => {
      const out = new Array(cap).fill(0);
      for (const [n, k] of Object.entries(p.byte_lengths)) out[Math.min(Number(n), cap) - 1] += k / (p.tokens || 1);
      return out;
    });
    const left = 64, bottom = 200, group = 44, width = left + group * cap + 10;
    const scale = yScale([0, ...share.flat()], 10, bottom, null);
    const svg = s("svg", { viewBox: `0 0 ${width} ${bottom + 26}`, width, role: "img", "aria-label": "token lengths" });
    svg.append(axisY(scale, left, width - 6, "share of tokens"));
    const bar = (group - 8) / profiles.length;
    bins.forEach((n, i) => {
      const x0 = left + i * group + 4;
      svg.append(s("text", { x: x0 + (group - 8) / 2, y: bottom + 16, "text-anchor": "middle" }, n === cap ? `${cap}+` : n));
      profiles.forEach((p, k) => {
        const v = share[k][i];
        const text = `<b>${esc(p.name)}</b><div>${n === cap ? `${cap} bytes or more` : `${n} byte${n > 1 ? "s" : ""}`}: ${pct(v)} of its tokens</div>`;
        svg.append(s("rect", { x: x0 + k * bar, y: scale.y(v), width: Math.max(1, bar - 1), height: Math.max(0, bottom - scale.y(v)), fill: COLOURS[index(p.name) % COLOURS.length],
          onmouseenter: (e) => showTip(e, text), onmousemove: (e) => showTip(e, text), onmouseleave: hideTip }));
      });
    });
    svg.append(s("text", { x: width - 6, y: top - 4, "text-anchor": "end", fill: "#59636e" }, "bytes per token →"));
    return svg;
  }

  // ---- definitions --------------------------------------------------------------------------------
  function renderDefinitions() {
    fill("definitions-body", h("table", { id: "definitions-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "metric"), h("th", {}, "better"), h("th", {}, "definition"))),
      h("tbody", {}, D.metrics.map((m) => h("tr", { "data-metric": m.name }, h("td", {}, h("code", {}, m.name)),
        h("td", { "data-higher": String(m.higher) }, m.higher === true ? "higher ↑" : m.higher === false ? "lower ↓" : "–"),
        h("td", { style: "white-space:normal" }, m.about || "(not a metric tokkit knows)"))))));
  }

  // ---- the bar at the top -----------------------------------------------------------------------------
  function renderControls() {
    const list = h("datalist", { id: "choices" },
      scriptsOf(C().langs).map(([sc, n]) => h("option", { value: sc }, `${scriptLabel(sc)}: ${n} languages`)), C().langs.map((l) => h("option", { value: l })));
    fill("controls-body",
      D.corpora.length > 1 ? h("label", {}, "corpus", h("select", { id: "corpus", onchange: (e) => { state.corpus = Number(e.target.value); start(); } },
        D.corpora.map((c, i) => h("option", { value: i, selected: i === state.corpus }, c.spec)))) : null,
      C().langs.length ? h("label", {}, "your languages",
        h("input", { type: "search", id: "query", list: "choices", value: state.query, placeholder: "all; or tur_Latn, swh, Cyrl, Arabic …", oninput: (e) => { state.query = e.target.value; renderAll(); } }),
        h("span", { id: "chosen" })) : null, list,
      TOKS.length > 1 ? h("label", {}, "baseline", h("select", { id: "baseline", onchange: (e) => { state.baseline = Number(e.target.value); renderAll(); } },
        h("option", { value: -1, selected: state.baseline < 0 }, "none"), TOKS.map((name, t) => h("option", { value: t, selected: t === state.baseline }, name)))) : null);
  }
  function renderAll() {
    const langs = chosen();
    if ($("chosen")) $("chosen").textContent = `${langs.length} of ${C().langs.length}`;
    renderSummary();
    renderScripts();
    renderCharts();
    renderBaseline();
    renderLanguages();
    renderSamples();
  }
  function start() {
    const metrics = perLanguage();
    if (!metrics.includes(state.metric)) state.metric = metrics.includes("premium") ? "premium" : metrics[0] || null;
    renderControls();
    fill("languages-body");  // its toolbar lists this corpus's metrics
    renderOverview();
    renderVocabulary();
    renderDefinitions();
    renderAll();
  }
  start();
})();
