// fleetfit dashboard: plain JavaScript, no build step, no library. It reads only the public API
// (/api/v1/...) with the page's own credentials: a session cookie on `fleetfit serve`, SigV4 added by
// `fleetfit dashboard` on AWS. Every text from the API is set as textContent, never as HTML.
"use strict";

const FITS = ["perfect", "good", "marginal", "too_tight"];
const FIT_LABELS = { perfect: "Perfect", good: "Good", marginal: "Marginal", too_tight: "Too tight" };
const USE_CASES = ["", "general", "coding", "reasoning", "chat", "multimodal", "embedding"];
const $ = (sel) => document.querySelector(sel);

// -- DOM and HTTP helpers -----------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svgEl(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options) {
  let response;
  try {
    response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" }, ...options });
  } catch (exc) {
    throw new ApiError(0, `the API did not answer (${exc.message})`);
  }
  if (response.status === 401) {
    window.location.assign("/login");
    throw new ApiError(401, "log in first");
  }
  let body = null;
  try {
    body = await response.json();
  } catch (exc) {
    throw new ApiError(response.status, `the API answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) throw new ApiError(response.status, (body && body.error) || `HTTP ${response.status}`);
  return body;
}

function postJson(path, data) {
  return api(path, { method: "POST", body: JSON.stringify(data), headers: { "Content-Type": "application/json", Accept: "application/json" } });
}

function showError(exc) {
  const box = $("#error");
  box.hidden = false;
  box.textContent = `Error${exc.status ? " " + exc.status : ""}: ${exc.message}`;
}

function clearError() {
  const box = $("#error");
  box.hidden = true;
  box.textContent = "";
}

function enc(text) {
  return encodeURIComponent(text);
}

function fmt(value, digits = 1) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(digits);
}

function gpuLabel(row) {
  if (row.gpus && row.gpus.length) return row.gpus.map((g) => `${g.count}× ${g.name} (${fmt(g.vram_gb, 0)} GB)`).join(" + ");
  return row.gpu_name ? `${row.gpu_count}× ${row.gpu_name}` : "CPU only";
}

function classLabel(cls) {
  // Classes differ by available RAM too (bucketed): show it, or two classes would read alike.
  return `${gpuLabel(cls)} · ${fmt(cls.total_ram_gb, 0)} GB RAM (${fmt(cls.available_ram_gb, 0)} free) · ${cls.backend}`;
}

function fitBadge(level) {
  return el("span", { class: `badge fit-${level}` }, FIT_LABELS[level] || level);
}

function legend() {
  return el("div", { class: "legend" }, FITS.map((f) => el("span", { class: `fit-${f}` }, FIT_LABELS[f])));
}

function empty(text) {
  return el("div", { class: "empty", "data-empty": "1" }, text);
}

function setView(...children) {
  const view = $("#view");
  view.replaceChildren(...children);
}

// -- details panel: the full Model object ---------------------------------------------------------------

function closeDetails() {
  $("#details").hidden = true;
}

function showModel(model, where) {
  const rows = [
    ["Node", where],
    ["Fit", FIT_LABELS[model.fit_level] || model.fit_level],
    ["Run mode", model.run_mode_label || model.run_mode],
    ["Quant", model.best_quant],
    ["Runtime", model.runtime_label || model.runtime],
    ["Est. tok/s", fmt(model.estimated_tps)],
    ["Memory", `${fmt(model.memory_required_gb, 2)} of ${fmt(model.memory_available_gb, 2)} GB (${fmt(model.utilization_pct, 0)} %)`],
    ["Score", fmt(model.score)],
    ["Context", model.context_length],
    ["Parameters", model.parameter_count],
    ["Use case", model.use_case],
    ["Speed from", model.estimate_basis ? model.estimate_basis.source : "estimated"],
  ];
  const body = el(
    "div",
    { id: "model-details" },
    el("h2", {}, model.name),
    el("dl", { class: "kv" }, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v === null || v === undefined ? "—" : v)])),
    el("h3", {}, "Notes"),
    model.notes && model.notes.length ? el("ul", { class: "notes" }, model.notes.map((n) => el("li", {}, n))) : el("p", { class: "muted" }, "No notes."),
    el("h3", {}, "The Model object"),
    el("pre", {}, JSON.stringify(model, null, 2)),
  );
  $("#details-body").replaceChildren(body);
  $("#details").hidden = false;
}

async function openCell(nodeId, modelName) {
  try {
    const answer = await api(`/api/v1/nodes/${enc(nodeId)}/models/${enc(modelName)}?include_too_tight=true&limit=50`);
    const model = answer.models.find((m) => m.name.toLowerCase() === modelName.toLowerCase()) || answer.models[0];
    if (!model) throw new ApiError(404, `no Model object for ${modelName} on ${nodeId}`);
    showModel(model, nodeId);
  } catch (exc) {
    showError(exc);
  }
}

// -- fleet matrix ---------------------------------------------------------------------------------------

const matrixState = { top: 12, use_case: "", search: "", rows: "class", nodePage: 500 };

function matrixQuery() {
  const q = new URLSearchParams({ top: String(matrixState.top), rows: matrixState.rows });
  if (matrixState.use_case) q.set("use_case", matrixState.use_case);
  if (matrixState.search.trim()) q.set("search", matrixState.search.trim());
  if (matrixState.rows === "node") q.set("limit", String(matrixState.nodePage));
  return q.toString();
}

function matrixControls(onChange) {
  const top = el("input", { type: "number", min: 1, max: 50, value: matrixState.top, id: "matrix-top" });
  const useCase = el("select", { id: "matrix-use-case" }, USE_CASES.map((u) => el("option", { value: u, selected: u === matrixState.use_case }, u || "any")));
  const search = el("input", { type: "search", placeholder: "model name contains…", value: matrixState.search, id: "matrix-search" });
  const rows = el("select", { id: "matrix-rows" }, el("option", { value: "class", selected: matrixState.rows === "class" }, "hardware classes"), el("option", { value: "node", selected: matrixState.rows === "node" }, "nodes"));
  const form = el(
    "form",
    {
      class: "controls",
      id: "matrix-form",
      onsubmit: (ev) => {
        ev.preventDefault();
        matrixState.top = Math.max(1, Math.min(50, Number(top.value) || 12));
        matrixState.use_case = useCase.value;
        matrixState.search = search.value;
        matrixState.rows = rows.value;
        onChange();
      },
    },
    el("label", {}, "Top N models", top),
    el("label", {}, "Use case", useCase),
    el("label", {}, "Search", search),
    el("label", {}, "Rows", rows),
    el("button", { type: "submit" }, "Show"),
  );
  return form;
}

function renderMatrix(data) {
  if (!data.models.length) {
    return empty(matrixState.search ? `No catalog model matches “${matrixState.search}”.` : "No models to show for this selection.");
  }
  if (!data.classes.length) return empty("No node has reported yet: run `fleetfit probe` on a node.");
  const head = el("tr", {}, el("th", {}, data.rows === "node" ? "Node" : "Hardware class (nodes)"), data.models.map((m) => el("th", { class: "model", title: m.name }, m.name)));
  const body = el("tbody");
  appendRows(body, data);
  const more = data.next_token ? moreButton(body, data) : null;
  const note = data.pending_classes ? el("p", { class: "muted" }, `${data.pending_classes} ${data.pending_classes === 1 ? "class is" : "classes are"} still being evaluated and not in the model choice yet.`) : null;
  return el("div", {}, legend(), note, el("p", { class: "muted" }, "Cells: estimated tok/s; click one for the full Model object and its notes."), el("div", { class: "matrix-wrap" }, el("table", { class: "matrix", id: "matrix" }, el("thead", {}, head), body)), more);
}

// Node rows come a page at a time; "More nodes" reads the next page of the same matrix (same columns).
function moreButton(body, data) {
  let token = data.next_token;
  const button = el("button", { type: "button", id: "matrix-more" }, "More nodes");
  button.addEventListener("click", async () => {
    try {
      const page = await api(`/api/v1/fleet/matrix?${matrixQuery()}&next_token=${enc(token)}`);
      appendRows(body, page);
      token = page.next_token;
      if (!token) button.remove();
    } catch (exc) {
      showError(exc);
    }
  });
  return button;
}

function appendRows(body, data) {
  const rowsOf = data.rows === "node" ? data.nodes.map((n) => [n, data.classes[n.class_index], data.cells[n.class_index]]) : data.classes.map((c, i) => [null, c, data.cells[i]]);
  for (const [node, cls, cells] of rowsOf) {
    if (!cls) continue;
    const target = node ? node.node_id : cls.example_node;
    const head = node
      ? el("td", { class: "rowhead" }, el("a", { href: `#/node/${enc(node.node_id)}` }, node.node_id), " ", node.stale ? el("span", { class: "badge stale" }, "stale") : null, el("div", { class: "muted" }, classLabel(cls)))
      : el("td", { class: "rowhead" }, classLabel(cls), el("span", { class: "muted" }, ` (${cls.nodes}${cls.stale_nodes ? `, ${cls.stale_nodes} stale` : ""})`));
    const tr = el("tr", { "data-class": cls.hw_class }, head);
    cells.forEach((cell, j) => {
      const model = data.models[j].name;
      tr.append(
        el(
          "td",
          {
            class: `cell fit-${cell.fit}`,
            "data-fit": cell.fit,
            "data-model": model,
            title: `${model}: ${FIT_LABELS[cell.fit]}, ${cell.quant}, ${cell.mode}, ~${fmt(cell.tps)} tok/s`,
            onclick: () => target && openCell(target, model),
          },
          cell.fit === "too_tight" ? "—" : fmt(cell.tps),
        ),
      );
    });
    body.append(tr);
  }
}

async function viewMatrix() {
  const holder = el("div", { id: "matrix-holder" }, el("p", { class: "muted" }, "Loading…"));
  let latest = 0;
  const load = async () => {
    const mine = ++latest; // an older answer arriving late must not replace a newer one
    clearError();
    holder.replaceChildren(el("p", { class: "muted" }, "Loading…"));
    try {
      const data = await api(`/api/v1/fleet/matrix?${matrixQuery()}`);
      if (mine === latest) holder.replaceChildren(renderMatrix(data));
    } catch (exc) {
      if (mine !== latest) return;
      holder.replaceChildren(empty("The matrix could not be loaded."));
      showError(exc);
    }
  };
  setView(el("h2", {}, "Fleet matrix"), matrixControls(load), holder);
  await load();
}

// -- which nodes run X ----------------------------------------------------------------------------------

let suggestTimer = null;

function autocomplete(input, list) {
  input.addEventListener("input", () => {
    clearTimeout(suggestTimer);
    const text = input.value.trim();
    if (text.length < 2) return;
    suggestTimer = setTimeout(async () => {
      try {
        const found = await api(`/api/v1/catalog/models?q=${enc(text)}&limit=12`);
        list.replaceChildren(...found.models.map((m) => el("option", { value: m.name }, `${m.parameter_count || ""} ${m.use_case || ""}`)));
      } catch (exc) {
        showError(exc);
      }
    }, 150);
  });
}

function nodesTable(nodes) {
  return el(
    "table",
    { id: "which-nodes" },
    el("thead", {}, el("tr", {}, ["Node", "Hardware", "Fit", "Run mode", "Quant", "Est. tok/s", "Memory GB", ""].map((h) => el("th", {}, h)))),
    el(
      "tbody",
      {},
      nodes.map((n) =>
        el(
          "tr",
          {},
          el("td", {}, el("a", { href: `#/node/${enc(n.node_id)}` }, n.node_id)),
          el("td", {}, gpuLabel(n)),
          el("td", {}, fitBadge(n.fit_level)),
          el("td", {}, n.run_mode),
          el("td", {}, n.best_quant),
          el("td", {}, fmt(n.estimated_tps)),
          el("td", {}, `${fmt(n.memory_required_gb)} / ${fmt(n.memory_available_gb)}`),
          el("td", {}, n.stale ? el("span", { class: "badge stale" }, "stale") : ""),
        ),
      ),
    ),
  );
}

function placementView(answer) {
  const parts = [el("p", { id: "placement-note" }, answer.note)];
  if (answer.unplaced && answer.plans.length) {
    parts.push(el("h3", {}, `The plan for the ${answer.unplaced} replicas the fleet cannot hold`));
    const list = el("ul", { id: "plans" });
    for (const p of answer.plans) {
      const ups = (p.plan.upgrades || []).map((u) => `${u.target_fit}: add ${fmt(u.add_gb)} GB of ${u.resource.replace("_", " ")} (${u.quant})`);
      const gpus = (p.plan.gpus_that_fit || []).map((g) => `${g.target_fit}: ${g.count}× ${g.gpu} (${g.quant})`);
      list.append(el("li", {}, `${classLabel(p)} (${p.nodes} nodes): `, ups.join("; ") || "no memory upgrade reaches it", gpus.length ? ` — or GPUs that would host it, ${gpus.join("; ")}` : ""));
    }
    parts.push(list);
  }
  if (answer.placed.length) {
    parts.push(
      el(
        "table",
        { id: "placement" },
        el("thead", {}, el("tr", {}, ["Replica", "Node", "Cards", "Fit", "Quant", "Est. tok/s"].map((h) => el("th", {}, h)))),
        el("tbody", {}, answer.placed.map((r) => el("tr", {}, el("td", {}, r.replica), el("td", {}, r.node_id), el("td", {}, r.cards.join(", ") || "CPU"), el("td", {}, fitBadge(r.fit_level)), el("td", {}, r.best_quant), el("td", {}, fmt(r.estimated_tps))))),
      ),
    );
  }
  return el("div", { id: "placement-result" }, parts);
}

async function viewWhich(name) {
  const input = el("input", { type: "search", id: "which-model", list: "catalog-names", placeholder: "model name, e.g. Qwen3-8B", value: name || "", size: 40, autocomplete: "off" });
  const list = el("datalist", { id: "catalog-names" });
  autocomplete(input, list);
  const replicas = el("input", { type: "number", id: "which-replicas", min: 1, max: 1000, value: 1 });
  const result = el("div", { id: "which-result" });
  const form = el(
    "form",
    {
      class: "controls",
      onsubmit: (ev) => {
        ev.preventDefault();
        if (input.value.trim()) window.location.hash = `#/which/${enc(input.value.trim())}`;
      },
    },
    el("label", {}, "Model", input),
    list,
    el("button", { type: "submit" }, "Find nodes"),
  );
  const placeForm = el(
    "form",
    {
      class: "controls",
      id: "place-form",
      onsubmit: async (ev) => {
        ev.preventDefault();
        clearError();
        const holder = $("#placement-holder");
        try {
          const answer = await postJson("/api/v1/fleet/placement", { model: name, replicas: Number(replicas.value) || 1 });
          holder.replaceChildren(placementView(answer));
        } catch (exc) {
          showError(exc);
        }
      },
    },
    el("label", {}, "Replicas", replicas),
    el("button", { type: "submit" }, "Place"),
  );
  setView(el("h2", {}, "Which nodes run X"), form, result);
  if (!name) {
    result.append(empty("Type a model name; the catalog suggests names as you type."));
    return;
  }
  clearError();
  try {
    const data = await api(`/api/v1/fleet/models/${enc(name)}?limit=100`);
    result.append(
      el("p", {}, `${data.model.name}: ${data.total_nodes} nodes run it (${data.stale_nodes} stale).`),
      el("h3", {}, "Replica placement"),
      placeForm,
      el("div", { id: "placement-holder" }),
      el("h3", {}, "The nodes that run it, fastest first"),
      data.nodes.length ? nodesTable(data.nodes) : empty(`No node runs ${data.model.name} at marginal or better.`),
    );
  } catch (exc) {
    if (exc.status === 404) result.append(empty(exc.message));
    else showError(exc);
  }
}

// -- nodes list and node page -----------------------------------------------------------------------------

async function viewNodes() {
  clearError();
  setView(el("h2", {}, "Nodes"), el("p", { class: "muted" }, "Loading…"));
  try {
    const page = await api("/api/v1/nodes?limit=1000");
    const rows = page.nodes.map((n) => el("tr", {}, el("td", {}, el("a", { href: `#/node/${enc(n.node_id)}` }, n.node_id)), el("td", {}, n.hostname || ""), el("td", {}, gpuLabel(n)), el("td", {}, n.backend), el("td", {}, new Date(n.last_seen).toLocaleString()), el("td", {}, el("span", { class: `badge ${n.stale ? "stale" : "fresh"}` }, n.stale ? "stale" : "fresh"))));
    setView(el("h2", {}, `Nodes (${page.nodes.length}${page.next_token ? "+" : ""})`), page.nodes.length ? el("table", { id: "nodes" }, el("thead", {}, el("tr", {}, ["Node", "Host", "GPUs", "Backend", "Last report", ""].map((h) => el("th", {}, h)))), el("tbody", {}, rows)) : empty("No node has reported yet."));
  } catch (exc) {
    setView(el("h2", {}, "Nodes"), empty("The node list could not be loaded."));
    showError(exc);
  }
}

function historyChart(entries) {
  // A hardware change: CPU, total RAM or the GPU list differs from the report before (the class id also
  // moves with available RAM, which is not a change of hardware).
  const hardware = (s) => [s.cpu_name, s.cpu_cores, Math.round(s.total_ram_gb), (s.gpus || []).map((g) => `${g.count}x${g.name}/${Math.round(g.vram_gb)}`).join("+")].join("|");
  const points = entries.map((e) => ({ t: Date.parse(e.report.collected_at), ram: e.report.system.available_ram_gb, cls: hardware(e.report.system) })).sort((a, b) => a.t - b.t);
  if (points.length < 1) return empty("No history.");
  const w = 520, h = 140, pad = 28;
  const t0 = points[0].t, t1 = points[points.length - 1].t || t0 + 1;
  const maxRam = Math.max(...points.map((p) => p.ram), 1);
  const x = (t) => pad + ((t - t0) / Math.max(t1 - t0, 1)) * (w - 2 * pad);
  const y = (v) => h - pad + 8 - (v / maxRam) * (h - 2 * pad);
  const svg = svgEl("svg", { class: "chart", id: "history-chart", width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img" });
  svg.append(svgEl("title", {}, "Available memory (GB) per report; dashed lines: hardware changes"));
  svg.append(svgEl("polyline", { class: "line", points: points.map((p) => `${x(p.t).toFixed(1)},${y(p.ram).toFixed(1)}`).join(" ") }));
  points.forEach((p, i) => {
    svg.append(svgEl("circle", { cx: x(p.t).toFixed(1), cy: y(p.ram).toFixed(1), r: 2.5, fill: "#2f6fb3" }));
    if (i > 0 && p.cls !== points[i - 1].cls) svg.append(svgEl("line", { class: "change", x1: x(p.t), x2: x(p.t), y1: 8, y2: h - pad + 8 }));
  });
  svg.append(svgEl("text", { x: 2, y: 12 }, `${fmt(maxRam, 0)} GB`));
  svg.append(svgEl("text", { x: 2, y: h - pad + 8 }, "0"));
  svg.append(svgEl("text", { x: pad, y: h - 4 }, new Date(t0).toLocaleDateString()));
  svg.append(svgEl("text", { x: w - pad - 60, y: h - 4 }, new Date(t1).toLocaleDateString()));
  return svg;
}

function topTable(envelope) {
  if (!envelope.models.length) return empty("No model fits this node.");
  return el(
    "table",
    { id: "node-top" },
    el("thead", {}, el("tr", {}, ["#", "Model", "Fit", "Run mode", "Quant", "Est. tok/s", "Memory GB", "Score"].map((h) => el("th", {}, h)))),
    el(
      "tbody",
      {},
      envelope.models.map((m, i) =>
        el("tr", { class: "model-row", "data-model": m.name, onclick: () => showModel(m, envelope.node.name) }, el("td", {}, i + 1), el("td", {}, m.name), el("td", {}, fitBadge(m.fit_level)), el("td", {}, m.run_mode), el("td", {}, m.best_quant), el("td", {}, fmt(m.estimated_tps)), el("td", {}, `${fmt(m.memory_required_gb)} / ${fmt(m.memory_available_gb)}`), el("td", {}, fmt(m.score))),
      ),
    ),
  );
}

function systemList(system) {
  const rows = [
    ["CPU", `${system.cpu_name} (${system.cpu_cores} cores)`],
    ["RAM", `${fmt(system.available_ram_gb)} of ${fmt(system.total_ram_gb)} GB available`],
    ["GPUs", gpuLabel(system)],
    ["Backend", system.backend],
  ];
  return el("dl", { class: "kv", id: "node-system" }, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

async function viewNode(nodeId) {
  clearError();
  setView(el("h2", {}, `Node ${nodeId}`), el("p", { class: "muted" }, "Loading…"));
  let detail, history, top;
  try {
    [detail, history, top] = await Promise.all([
      api(`/api/v1/nodes/${enc(nodeId)}`),
      api(`/api/v1/nodes/${enc(nodeId)}/history?limit=200`),
      api(`/api/v1/nodes/${enc(nodeId)}/models/top?limit=10`),
    ]);
  } catch (exc) {
    setView(el("h2", {}, `Node ${nodeId}`), empty(exc.status === 404 ? `No node ${nodeId} has reported.` : "The node could not be loaded."));
    if (exc.status !== 404) showError(exc);
    return;
  }
  const system = detail.report.system;
  const topHolder = el("div", { id: "node-top-holder" }, topTable(top));
  setView(
    el("h2", {}, `Node ${nodeId} `, el("span", { class: `badge ${detail.stale ? "stale" : "fresh"}` }, detail.stale ? "stale" : "fresh")),
    el("p", { class: "muted" }, `${detail.hostname || ""} · last report ${new Date(detail.last_seen).toLocaleString()} · class ${detail.hw_class}`),
    el("h3", {}, "System"),
    systemList(system),
    el("details", {}, el("summary", {}, "The System object"), el("pre", {}, JSON.stringify(system, null, 2))),
    el("h3", {}, `Report history (${history.reports.length})`),
    historyChart(history.reports),
    el("h3", {}, "Top models"),
    whatIfSliders(nodeId, system, topHolder),
    topHolder,
  );
}

// What-if: re-rank this node's top models as if it had this much RAM / VRAM per card. The API's ram_gb and
// vram_gb parameters re-analyse a copy of its System; nothing is stored. A slider not moved is not sent;
// unified memory has no separate VRAM (the API refuses vram_gb there), so that slider is off.
function whatIfSliders(nodeId, system, holder) {
  const unified = system.unified_memory;
  const perCard = system.gpus && system.gpus.length ? system.gpus[0].vram_gb : 0;
  const ram = el("input", { type: "range", id: "whatif-ram", min: 4, max: Math.min(65536, Math.max(512, Math.ceil(system.total_ram_gb * 4))), step: 1, value: Math.round(system.total_ram_gb) });
  const gpu = el("input", { type: "range", id: "whatif-vram", min: 0, max: Math.min(1024, Math.max(192, Math.ceil(perCard * 4))), step: 1, value: Math.round(perCard), disabled: unified });
  const ramOut = el("output", { id: "whatif-ram-value" }, `${ram.value} GB`);
  const gpuOut = el("output", { id: "whatif-vram-value" }, unified ? "unified memory: follows RAM" : `${gpu.value} GB`);
  const reset = el("button", { type: "button", id: "whatif-reset", hidden: true }, "Reset");
  const moved = new Set();
  let timer = null;
  let latest = 0;
  const reload = () => {
    ramOut.textContent = `${ram.value} GB`;
    if (!unified) gpuOut.textContent = `${gpu.value} GB`;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++latest;
      const q = new URLSearchParams({ limit: "10" });
      if (moved.has("ram")) q.set("ram_gb", ram.value);
      if (moved.has("vram")) q.set("vram_gb", gpu.value);
      try {
        const answer = await api(`/api/v1/nodes/${enc(nodeId)}/models/top?${q}`);
        if (mine !== latest) return;
        holder.replaceChildren(topTable(answer));
        holder.dataset.whatif = moved.size ? q.toString() : "";
        reset.hidden = moved.size === 0;
      } catch (exc) {
        showError(exc);
      }
    }, 200);
  };
  ram.addEventListener("input", () => { moved.add("ram"); reload(); });
  gpu.addEventListener("input", () => { moved.add("vram"); reload(); });
  reset.addEventListener("click", () => {
    moved.clear();
    ram.value = Math.round(system.total_ram_gb);
    gpu.value = Math.round(perCard);
    reload();
  });
  return el("div", { class: "sliders", id: "whatif" }, el("strong", {}, "What if:"), el("label", {}, "RAM ", ram, " ", ramOut), el("label", {}, "VRAM per GPU ", gpu, " ", gpuOut), reset);
}

// -- summary --------------------------------------------------------------------------------------------

function card(title, big, sub) {
  return el("div", { class: "card" }, el("div", { class: "muted" }, title), el("div", { class: "big" }, big), sub ? el("div", { class: "muted" }, sub) : null);
}

async function viewSummary() {
  clearError();
  setView(el("h2", {}, "Summary"), el("p", { class: "muted" }, "Loading…"));
  try {
    const [s, catalog] = await Promise.all([api("/api/v1/fleet/summary"), api("/api/v1/catalog")]);
    const fits = s.models_by_best_fit;
    setView(
      el("h2", {}, "Summary"),
      el(
        "div",
        { class: "cards", id: "summary-cards" },
        card("Nodes", s.nodes.total, `${s.nodes.fresh} fresh, ${s.nodes.stale} stale (no report for ${s.stale_after_hours} h)`),
        card("Hardware classes", s.classes.total, s.classes.pending ? `${s.classes.pending} pending` : "all evaluated"),
        card("Catalog", catalog.models, `version ${catalog.version.slice(0, 12)} (${catalog.source})`),
        card("Models the fleet runs", (fits.perfect || 0) + (fits.good || 0) + (fits.marginal || 0), `${fits.perfect || 0} perfect, ${fits.good || 0} good, ${fits.marginal || 0} marginal`),
      ),
      el("h3", {}, "GPU inventory"),
      s.gpus.length
        ? el("table", { id: "gpu-inventory" }, el("thead", {}, el("tr", {}, ["GPU", "GB each", "Cards", "Nodes", "Stale nodes"].map((h) => el("th", {}, h)))), el("tbody", {}, s.gpus.map((g) => el("tr", {}, el("td", {}, g.name), el("td", {}, fmt(g.vram_gb)), el("td", {}, g.cards), el("td", {}, g.nodes), el("td", {}, g.stale_nodes)))))
        : empty("No GPUs in the fleet."),
      el("h3", {}, "Backends"),
      el("table", {}, el("tbody", {}, s.backends.map((b) => el("tr", {}, el("td", {}, b.backend), el("td", {}, `${b.nodes} nodes`), el("td", {}, `${b.stale_nodes} stale`))))),
      el("h3", {}, "What the fleet runs best"),
      s.best_models.length ? el("ol", { id: "best-models" }, s.best_models.map((m) => el("li", {}, el("a", { href: `#/which/${enc(m.name)}` }, m.name), ` — in the top list of ${m.nodes} nodes`))) : empty("Nothing yet."),
    );
  } catch (exc) {
    setView(el("h2", {}, "Summary"), empty("The summary could not be loaded."));
    showError(exc);
  }
}

// -- routing --------------------------------------------------------------------------------------------

async function route() {
  closeDetails();
  const hash = window.location.hash || "#/matrix";
  const [, view, ...rest] = hash.split("/");
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : "";
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", link.dataset.view === view);
  if (view === "which") return viewWhich(arg);
  if (view === "node" && arg) return viewNode(arg);
  if (view === "nodes") return viewNodes();
  if (view === "summary") return viewSummary();
  return viewMatrix();
}

async function start() {
  $("#close-details").addEventListener("click", closeDetails);
  document.addEventListener("keydown", (ev) => ev.key === "Escape" && closeDetails());
  // Asked alongside the first view, not before it: a log-out button never delays the matrix.
  fetch("/session", { credentials: "same-origin" })
    .then((session) => (session.ok ? session.json() : null))
    .then((state) => {
      $("#logout").hidden = !state || state.auth !== "cookie";
    })
    .catch(() => {
      // Not `fleetfit serve` (the Lambda, the signing proxy): no session to end.
    });
  window.addEventListener("hashchange", route);
  await route();
}

document.addEventListener("DOMContentLoaded", start);
