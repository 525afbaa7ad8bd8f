// 年鉴问答 web page: ask (answer with clickable [n] markers and source cards), search and read.
// No framework and nothing fetched from outside this service, so it works offline and on a phone.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { llm: false, shown: null };  // shown: the answer on screen, which feedback is about

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function pathText(path) { return path.filter(Boolean).join(" › "); }
function pageText(page) { return page ? `第 ${page} 页` : "卷首（无页码）"; }

// Text with `quote` wrapped in <mark>, built from text nodes (never innerHTML: passages are data).
function highlighted(text, quote) {
  const holder = el("span");
  const at = quote ? text.indexOf(quote) : -1;
  if (at < 0) { holder.append(text); return holder; }
  holder.append(text.slice(0, at), el("mark", {}, quote), text.slice(at + quote.length));
  return holder;
}

function setStatus(id, message, isError = false) {
  const node = $(id);
  node.textContent = message;
  node.classList.toggle("error", isError);
}

async function postJson(url, body) {
  let response;
  try {
    response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  } catch (error) {
    throw new Error("无法连接服务器，请检查网络或稍后再试。");
  }
  if (!response.ok) {
    let message = `服务器出错（${response.status}），请稍后再试。`;
    try { message = (await response.json()).error.message_zh || message; } catch (ignored) { /* keep the generic message */ }
    throw new Error(message);
  }
  return response;
}

// --- ask ------------------------------------------------------------------------------------------
function renderAnswerText(answer, citations) {
  const node = $("answer-text");
  node.replaceChildren();
  const known = new Set(citations.map((c) => c.n));
  for (const part of answer.split(/(\[\d+\])/)) {
    const match = part.match(/^\[(\d+)\]$/);
    if (match && known.has(Number(match[1]))) {
      const n = Number(match[1]);
      node.append(el("a", { class: "marker", href: `#source-${n}`, "aria-label": `出处 ${n}`,
                            onclick: (event) => { event.preventDefault(); focusSource(n); } }, `[${n}]`));
    } else {
      node.append(part);
    }
  }
}

function focusSource(n) {
  const card = $(`source-${n}`);
  if (!card) return;
  card.scrollIntoView({ behavior: "smooth", block: "center" });
  card.focus();
  card.classList.add("flash");
  setTimeout(() => card.classList.remove("flash"), 1500);
}

function sourceCard(id, label, item, quote) {
  return el("li", { class: "card", id, tabindex: "-1" },
    el("p", { class: "path" }, `${label}${pathText(item.section_path)} · `, el("span", { class: "page" }, pageText(item.page))),
    el("p", { class: "passage" }, highlighted(item.text, quote)),
    el("button", { type: "button", class: "secondary", onclick: () => openReader(item.record_id, quote) }, "查看全文"));
}

function renderResult(result) {
  const box = $("answer");
  box.hidden = false;
  box.classList.toggle("refusal", !result.answerable);
  renderAnswerText(result.answer, result.citations);
  const short = $("short-answer");
  short.hidden = !result.short_answer;
  short.textContent = result.short_answer ? `答案：${result.short_answer}` : "";
  const notice = $("notice");
  notice.hidden = !result.notice;
  notice.textContent = result.notice || "";
  offerFeedback(result);

  const list = $("source-list");
  list.replaceChildren();
  const passages = Object.fromEntries(result.passages.map((p) => [p.chunk_id, p]));
  if (result.citations.length) {
    $("sources-title").textContent = "出处";
    for (const citation of result.citations) {
      const passage = passages[citation.chunk_id] || { ...citation, text: citation.quote };
      list.append(sourceCard(`source-${citation.n}`, `[${citation.n}] `, { ...passage, record_id: citation.record_id }, citation.quote));
    }
  } else {
    $("sources-title").textContent = "年鉴中最接近的段落";
    result.passages.slice(0, 3).forEach((p, i) => list.append(sourceCard(`nearest-${i + 1}`, "", p, null)));
  }
  $("sources").hidden = list.children.length === 0;
  setStatus("ask-status", result.answerable ? "" : "年鉴中没有找到这个问题的答案，下面是最接近的段落。");
}

async function readStream(response) {
  // Server-Sent Events over a POST response: token events, then the final answer event.
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let streamed = "";
  $("answer").hidden = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const name = (block.match(/^event: (.*)$/m) || [])[1];
      const data = JSON.parse((block.match(/^data: (.*)$/m) || [, "{}"])[1]);
      if (name === "token") { streamed += data.text; $("answer-text").textContent = streamed; }
      if (name === "answer") renderResult(data);
    }
  }
}

async function ask(question) {
  const mode = $("mode").value;
  const stream = mode !== "extractive" && state.llm;
  setStatus("ask-status", "正在年鉴中查找…");
  $("ask-button").disabled = true;
  $("answer").hidden = true;
  $("feedback").hidden = true;  // shown again with the next complete answer
  $("sources").hidden = true;
  try {
    const response = await postJson("/api/ask", { question, mode, stream });
    if (stream) await readStream(response);
    else renderResult(await response.json());
  } catch (error) {
    setStatus("ask-status", error.message, true);
  } finally {
    $("ask-button").disabled = false;
  }
}

// --- feedback: 👍 / 👎 under each answer -------------------------------------------------------------
function offerFeedback(result) {
  state.shown = { question: result.question, answer: result.answer, chunk_ids: [...new Set(result.citations.map((c) => c.chunk_id))] };
  for (const button of document.querySelectorAll("#feedback button")) {
    button.disabled = false;
    button.setAttribute("aria-pressed", "false");
  }
  $("feedback-status").textContent = "";
  $("feedback").hidden = false;
}

async function sendFeedback(button) {
  const shown = state.shown;
  if (!shown) return;
  const buttons = document.querySelectorAll("#feedback button");
  for (const other of buttons) other.disabled = true;  // one verdict per answer
  button.setAttribute("aria-pressed", "true");
  try {
    await postJson("/api/feedback", { ...shown, verdict: button.dataset.verdict });
    $("feedback-status").textContent = "谢谢您的反馈！";
  } catch (error) {
    $("feedback-status").textContent = error.message;
    button.setAttribute("aria-pressed", "false");
    for (const other of buttons) other.disabled = false;  // let them try again
  }
}

// --- search and read ----------------------------------------------------------------------------
async function search(query, category) {
  setStatus("search-status", "正在检索…");
  const list = $("results");
  list.replaceChildren();
  try {
    const body = { query, top_k: 10 };
    if (category) body.filters = { category };
    const result = await (await postJson("/api/search", body)).json();
    result.results.forEach((p, i) => list.append(sourceCard(`result-${i + 1}`, `${i + 1}. `, p, null)));
    setStatus("search-status", result.results.length ? `找到 ${result.results.length} 段` : "没有找到相关段落。");
  } catch (error) {
    setStatus("search-status", error.message, true);
  }
}

async function openReader(recordId, quote) {
  const dialog = $("reader");
  const body = $("reader-body");
  body.replaceChildren("正在载入…");
  dialog.showModal();
  try {
    const response = await fetch(`/api/documents/${encodeURIComponent(recordId)}`);
    if (!response.ok) throw new Error((await response.json()).error.message_zh);
    const documentView = await response.json();
    $("reader-title").textContent = documentView.title;
    const first = documentView.records[0];
    $("reader-path").textContent = [pathText(first.section_path.slice(0, 2)), documentView.doc_number,
                                    pageText(documentView.page_start)].filter(Boolean).join(" · ");
    body.replaceChildren();
    for (const record of documentView.records) {
      const section = el("section", { id: `reader-${record.id}` },
        el("h3", {}, `${record.title} · ${pageText(record.page_start)}`), highlighted(record.text, quote));
      body.append(section);
      if (record.id === recordId && documentView.records.length > 1) setTimeout(() => section.scrollIntoView({ block: "start" }), 0);
    }
  } catch (error) {
    body.replaceChildren(error.message || "无法载入全文。");
  }
}

// --- wiring -------------------------------------------------------------------------------------
function selectTab(name) {
  for (const tab of ["ask", "search"]) {
    const selected = tab === name;
    $(`tab-${tab}`).setAttribute("aria-selected", String(selected));
    $(`tab-${tab}`).tabIndex = selected ? 0 : -1;
    $(`panel-${tab}`).hidden = !selected;
  }
  $(name === "ask" ? "question" : "query").focus();
}

async function loadHealth() {
  try {
    const health = await (await fetch("/api/health")).json();
    state.llm = health.llm.configured;
    $("mode-row").hidden = !state.llm;  // the choice only matters when an LLM is configured
    $("books").textContent = "资料来源：" + health.index.corpus.map((b) => `《${b.title}》`).join("、");
    const categories = await (await fetch("/api/categories")).json();
    for (const name of categories.categories) $("category").append(el("option", { value: name }, name));
  } catch (error) {
    setStatus("ask-status", "无法连接服务器，请稍后刷新页面。", true);
    $("books").textContent = "";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (question) ask(question);
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = $("query").value.trim();
    if (query) search(query, $("category").value);
  });
  for (const button of document.querySelectorAll(".example")) {
    button.addEventListener("click", () => { $("question").value = button.textContent; ask(button.textContent); });
  }
  $("tab-ask").addEventListener("click", () => selectTab("ask"));
  $("tab-search").addEventListener("click", () => selectTab("search"));
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") selectTab(tab.id === "tab-ask" ? "search" : "ask");
    });
  }
  $("reader-close").addEventListener("click", () => $("reader").close());
  for (const button of document.querySelectorAll("#feedback button")) {
    button.addEventListener("click", () => sendFeedback(button));
  }
  loadHealth();
});
