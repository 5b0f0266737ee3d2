// The console: logs in against the REST API (POST /v1/users/login), then reads the cluster's picture
// from GET /console/events, a stream of server-sent events read with fetch (an EventSource cannot send
// the Authorization header). Every value reaches the page as text (textContent), never as markup.
"use strict";

const TOKEN = "multiconnect-console-token";
const history = { webapp: [], coreapps: [], webhooks: [] };
let last = null;

function $(id) { return document.getElementById(id); }

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function ms(v) { return v < 0 ? "-" : (v / 1000).toFixed(1) + " s"; }

function showLogin(message) {
  $("cluster").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("live").className = "dot";
}

async function login(event) {
  event.preventDefault();
  const basic = btoa($("user").value + ":" + $("password").value);
  const r = await fetch("/v1/users/login", { method: "POST", headers: { Authorization: "Basic " + basic } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const e = (body.errors || [])[0] || {};
    showLogin(e.details || e.title || "login refused (" + r.status + ")");
    return;
  }
  sessionStorage.setItem(TOKEN, body.users[0].token);
  follow();
}

async function follow() {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) { showLogin(); return; }
  $("login").hidden = true;
  $("cluster").hidden = false;
  try {
    const r = await fetch("/console/events", { headers: { Accept: "text/event-stream", Authorization: "Bearer " + token } });
    if (r.status === 401) { sessionStorage.removeItem(TOKEN); showLogin("log in again"); return; }
    if (!r.ok) throw new Error("status " + r.status);
    $("live").className = "dot on";
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").filter(l => l.startsWith("data:")).map(l => l.slice(5).trimStart()).join("\n");
        if (data) render(JSON.parse(data));
      }
    }
  } catch (e) {
    $("summary").textContent = "disconnected: " + e.message;
  }
  $("live").className = "dot";
  setTimeout(follow, 2000);
}

function rate(key, now, value) {
  const h = history[key];
  h.push([now, value]);
  while (h.length > 61) h.shift();
  if (h.length < 2) return "-";
  const [t0, v0] = h[h.length - 2];
  const per = (value - v0) * 1000 / Math.max(1, now - t0);
  h[h.length - 1].push(Math.max(0, per));
  return Math.max(0, per).toFixed(0);
}

function spark(id, key) {
  const points = history[key].filter(p => p.length > 2).map(p => p[2]);
  const max = Math.max(1, ...points);
  const svg = $(id);
  svg.textContent = "";
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", points.map((v, i) => (i * 2) + "," + (29 - 28 * v / max)).join(" "));
  svg.appendChild(line);
}

function render(s) {
  if (s.error) { $("summary").textContent = s.error; return; }
  const without = s.shards.filter(x => !x.primary).length;
  $("summary").textContent = s.shard_count + (s.shard_count === 1 ? " shard" : " shards") + ", leader " + (s.leader || "none") + ", term " + s.term
    + (without ? ", " + without + " without a primary" : "");

  const shards = $("shards").tBodies[0];
  shards.textContent = "";
  for (const x of s.shards) {
    const row = shards.insertRow();
    row.dataset.shard = x.shard;
    cell(row, x.shard);
    cell(row, x.primary || "none", x.primary ? "" : "bad");
    cell(row, x.primary ? x.epoch : "-");
    cell(row, x.primary ? ms(x.lease_remaining_ms) : "-");
    cell(row, x.primary ? (x.healthy ? "healthy" : "silent") : "-", x.primary && !x.healthy ? "bad" : "good");
    cell(row, x.moving_to || "");
  }

  const masters = $("masters").tBodies[0];
  masters.textContent = "";
  for (const m of s.masters) {
    const row = masters.insertRow();
    cell(row, m.id);
    cell(row, m.zone || "-", "nowrap");
    // The role as the master reports it; the leader as the answering master sees it.
    cell(row, m.role === "leader" || !m.leader ? m.role : m.role + " (the leader)", m.role === "unreachable" ? "bad" : "");
    cell(row, m.term);
    cell(row, m.commit_index);
    cell(row, m.applied_index);
    cell(row, m.error || "");
  }
  $("mirror").textContent = s.mirror.enabled
    ? "Mirror: " + s.mirror.lag_entries + " entries behind" + (s.mirror.behind_ms > 0 ? " for " + ms(s.mirror.behind_ms) : "")
    : "No mirror.";

  const coreapps = $("coreapps").tBodies[0];
  coreapps.textContent = "";
  for (const c of s.coreapps) {
    const row = coreapps.insertRow();
    row.dataset.coreapp = c.id;
    cell(row, c.id);
    cell(row, c.zone || "-", "nowrap");
    cell(row, c.state);
    cell(row, c.shard >= 0 ? c.shard : "-");
    cell(row, c.epoch || "-");
    cell(row, c.healthy ? "healthy" : "unhealthy", c.healthy ? "good" : "bad");
    cell(row, ms(c.heartbeat_age_ms));
    cell(row, c.lease_remaining_ms > 0 ? ms(c.lease_remaining_ms) : "-");
    cell(row, c.gateway_status || "-");
  }

  $("rate-webapp").textContent = rate("webapp", s.at, s.counters.webapp_messages_sent);
  $("rate-coreapps").textContent = rate("coreapps", s.at, s.counters.coreapp_messages_sent);
  $("rate-webhooks").textContent = rate("webhooks", s.at, s.counters.webhook_events_delivered);
  spark("spark-webapp", "webapp");
  spark("spark-coreapps", "coreapps");
  spark("spark-webhooks", "webhooks");

  const timeline = $("timeline");
  timeline.textContent = "";
  for (const e of s.timeline) {
    const li = document.createElement("li");
    li.className = e.kind;
    const when = new Date(e.at).toLocaleTimeString();
    li.textContent = e.kind === "reshard"
      ? when + ": " + e.shards + " shards"
      : when + ": shard " + e.shard + " " + e.kind + (e.from ? " from " + e.from : "") + " to " + e.to + " (epoch " + e.epoch + ")";
    timeline.appendChild(li);
  }
  last = s;
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", login);
  follow();
});
