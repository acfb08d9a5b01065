/*
 * SME Advisor chat widget: vanilla JS, no dependencies, no build step.
 *
 * Embed with one tag:
 *   <script src="https://HOST/widget.js" defer data-title="SME Advisor" data-color="#1e2dbe"
 *           data-greeting="Hello!" data-position="right" data-lang="en"></script>
 * It talks to the gateway's HTTP API (POST /api/session, /api/chat, /api/feedback, /api/forget) at the
 * script's own origin, or at data-api if given (the gateway must then list the host page's origin in
 * CORS_ORIGINS). Its sender id is a session token the gateway signs (POST /api/session, bot/sessions.py),
 * asked for before the first message and replaced whenever the gateway hands back a new one.
 *
 * Safety rule: text from the server or from storage only ever reaches the page as text nodes or as
 * checked link targets (http(s), mailto:, tel:); nothing is assigned to innerHTML.
 */
(() => {
  "use strict";
  if (window.SmeAdvisor) return; // embedded twice: the first copy wins

  // Captured now: document.currentScript is only set while this file is being evaluated.
  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const data = (script && script.dataset) || {};

  const MAX_CHARS = 2000; // the gateway's MAX_MESSAGE_CHARS
  const WARN_AT = 1800; // show the character counter from here on
  const HISTORY_CAP = 100; // rendered messages kept in localStorage
  const TIMEOUT_MS = 45000; // the gateway waits up to 30 s for Rasa
  const STORE_KEY = "sme-advisor-widget:v1";
  const TOKEN = /^widget:[\w-]{22}\.[\w-]{32}$/; // the shape of a signed session id

  const T = {
    open: "Open chat with ",
    close: "Close chat",
    newChat: "New conversation",
    forget: "Forget me",
    forgetConfirm: "Delete this conversation and all stored about it?",
    forgotten: "Done: I deleted our conversation.",
    forgetFailed: "Sorry, I could not delete it now. Try again in a minute.",
    placeholder: "Type your question…",
    inputLabel: "Your message",
    send: "Send",
    you: "You said: ",
    typing: " is typing…",
    sources: "Sources: ",
    choices: "Suggested replies",
    useLocation: "📍 Use my location",
    sharedLocation: "📍 Shared my location",
    locating: "Finding your location…",
    noLocation:
      "I couldn't get your location (it may have been declined or is unavailable). " +
      "No problem: just type the name of your city or town.",
    wasHelpful: "Helpful?",
    rateAnswer: "Was this answer helpful?",
    helpful: "Helpful",
    notHelpful: "Not helpful",
    thanks: "Thanks for your feedback!",
    feedbackFailed: "Feedback not sent: ",
    retry: "Try again",
    error: "Error: ",
    offline: "Could not reach the assistant. Check your internet connection and try again.",
    timeout: "The assistant took too long to answer. Please try again.",
    serverError: "The assistant had a problem answering. Please try again shortly.",
    badRequest: "The message could not be sent.",
    noReply: "I have no answer to that. Could you rephrase your question?",
    tooLong: (n) => `Your message is too long: ${n} characters, at most ${MAX_CHARS}. Please shorten it.`,
    count: (n) => (n > MAX_CHARS ? `${n} / ${MAX_CHARS}: ${n - MAX_CHARS} too many` : `${n} / ${MAX_CHARS}`),
  };

  // The local greeting offers the guided conversations, as Rasa's own greeting (utter_greet) does.
  const GREETING_BUTTONS = [
    { title: "Find a programme for me", payload: "/find_programme" },
    { title: "Find a trainer near me", payload: "/find_trainer" },
  ];

  // ---------------------------------------------------------------- configuration

  function readConfig() {
    const own = script && script.src ? new URL(script.src, location.href).origin : location.origin;
    return {
      api: (data.api || own).replace(/\/+$/, ""),
      title: (data.title || "SME Advisor").slice(0, 60),
      color: validColor(data.color) || "#1e2dbe",
      greeting: data.greeting || "Hello! Ask me about starting or improving a business.",
      position: data.position === "left" ? "left" : "right",
      lang: /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(data.lang || "") ? data.lang : "en",
    };
  }

  function validColor(value) {
    return value && window.CSS && CSS.supports("color", value) ? value : null;
  }

  // Dark text on light brand colours, white otherwise (only #rgb / #rrggbb are judged).
  function textOn(color) {
    let hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
    if (!hex) return "#fff";
    hex = hex[1].length === 3 ? hex[1].replace(/./g, "$&$&") : hex[1];
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return 0.299 * r + 0.587 * g + 0.114 * b > 170 ? "#111" : "#fff";
  }

  // ---------------------------------------------------------------- state (localStorage)

  const state = { sender: "", history: [], open: false, busy: false, epoch: 0 };

  function loadState() {
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
    } catch (e) {
      saved = null; // storage blocked or corrupt: start afresh
    }
    const ok = saved && typeof saved.sender === "string" && TOKEN.test(saved.sender);
    state.sender = ok ? saved.sender : ""; // "": a session is asked for before the first message
    state.history = ok && Array.isArray(saved.history) ? saved.history.map(toEntry).filter(Boolean) : [];
    state.open = Boolean(ok && saved.open);
  }

  function saveState() {
    state.history = state.history.slice(-HISTORY_CAP);
    const { sender, history, open } = state;
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify({ sender, history, open }));
    } catch (e) {
      // Private mode or quota: the conversation still works, it just won't survive a reload.
    }
  }

  // ---------------------------------------------------------------- DOM helpers

  // el("a", {href, class, onclick}, [children]): strings become text nodes, never markup.
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of [].concat(children == null ? [] : children)) {
      if (child != null) node.append(child);
    }
    return node;
  }

  // node.replaceChildren() without needing a 2020+ browser.
  function fill(node, ...children) {
    while (node.firstChild) node.firstChild.remove();
    node.append(...children);
  }

  function svg(path) {
    const ns = "http://www.w3.org/2000/svg";
    const icon = document.createElementNS(ns, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", "currentColor");
    icon.append(p);
    return icon;
  }

  const ICON_CHAT = "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2zm3 6v2h10V9H7zm0-3v2h10V6H7zm0 6v2h7v-2H7z";
  const ICON_CLOSE = "M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7l-1.4-1.4L9.2 12 2.9 5.7l1.4-1.4 6.3 6.3 6.3-6.3z";
  const ICON_SEND = "M2 21 23 12 2 3v7l15 2-15 2z";
  // thumbs as drawings, not emoji: a phone without an emoji font showed empty boxes
  const ICON_UP = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.3l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 " +
    "7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";
  const ICON_DOWN = "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.3l-.95 4.57-.03.32c0 " +
    ".41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z";

  // ---------------------------------------------------------------- safe markdown

  // Links [label](url), **bold**, *italic*, bare http(s) URLs, and a trainer card's contacts: e-mail
  // addresses, "phone +256 ..." and "Telegram @handle" (no lookbehind: older Safari lacks it).
  const INLINE = new RegExp(
    [
      /\[([^\]\n]+)\]\(([^)\s]+)\)/,
      /\*\*(.+?)\*\*/,
      /\*([^*\s](?:[^*\n]*[^*\s])?)\*/,
      /(https?:\/\/[^\s<>"]*[^\s<>"'.,;:!?)\]])/,
      /([\w.+-]+@[\w-]+(?:\.[\w-]+)+)/,
      /(\b(?:phone|tel|call)\s+)(\+?\d[\d ().-]{4,18}\d)/,
      /(\bTelegram\s+)@(\w{5,32})\b/,
    ]
      .map((r) => r.source)
      .join("|"),
    "i"
  );

  function inline(text) {
    const out = [];
    let rest = text;
    let m;
    while ((m = INLINE.exec(rest))) {
      if (m.index) out.push(rest.slice(0, m.index));
      if (m[1] !== undefined) out.push(link(m[1], m[2]));
      else if (m[3] !== undefined) out.push(el("strong", null, inline(m[3])));
      else if (m[4] !== undefined) out.push(el("em", null, inline(m[4])));
      else if (m[5] !== undefined) out.push(link(m[5], m[5]));
      else if (m[6] !== undefined) out.push(link(m[6], "mailto:" + m[6]));
      else if (m[7] !== undefined) out.push(m[7], link(m[8], "tel:" + m[8].replace(/[^\d+]/g, "")));
      else out.push(m[9], link("@" + m[10], "https://t.me/" + m[10]));
      rest = rest.slice(m.index + m[0].length);
    }
    if (rest) out.push(rest);
    return out;
  }

  // Only absolute http(s), mailto: and tel: URLs become links; the rest stays text.
  function safeUrl(url) {
    try {
      const u = new URL(url);
      return /^(https?|mailto|tel):$/.test(u.protocol) ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  // Web pages open in a new tab; mailto:/tel: hand over to the phone's mail or dialler.
  function link(label, url) {
    const href = safeUrl(url);
    if (!href) return label;
    const web = /^https?:/.test(href);
    return el("a", { href, target: web && "_blank", rel: web && "noopener noreferrer" }, label);
  }

  // Paragraphs (blank-line separated, single newlines kept), "- " / "1. " lists, "# " headings.
  function markdown(text) {
    const frag = document.createDocumentFragment();
    let para = null;
    let list = null;
    for (const raw of String(text).split(/\r?\n/)) {
      const line = raw.trim();
      const bullet = /^[-*•]\s+(.*)$/.exec(line);
      const numbered = /^(\d{1,3})[.)]\s+(.*)$/.exec(line);
      const heading = /^#{1,6}\s+(.*)$/.exec(line);
      if (!line) {
        para = list = null;
      } else if (bullet || numbered) {
        const tag = bullet ? "UL" : "OL";
        if (!list || list.tagName !== tag) {
          list = frag.appendChild(el(tag));
          if (numbered && numbered[1] !== "1") list.start = Number(numbered[1]);
        }
        para = null;
        list.append(el("li", null, inline(bullet ? bullet[1] : numbered[2])));
      } else if (list && /^\s{2,}/.test(raw)) {
        list.lastChild.append(" ", ...inline(line)); // indented continuation of a list item
      } else if (heading) {
        para = list = null;
        frag.append(el("p", null, el("strong", null, inline(heading[1]))));
      } else {
        list = null;
        if (para) para.append(el("br"));
        else para = frag.appendChild(el("p"));
        para.append(...inline(line));
      }
    }
    return frag;
  }

  // ---------------------------------------------------------------- styles

  const CSS_TEXT = `
:host{all:initial}
*{box-sizing:border-box}
.root{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1b1f;-webkit-text-size-adjust:100%}
button{font:inherit;cursor:pointer}
button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
.launcher{position:fixed;bottom:20px;right:20px;width:60px;height:60px;border-radius:50%;border:0;background:var(--c);color:var(--fg);box-shadow:0 4px 14px rgba(0,0,0,.3);display:flex;align-items:center;justify-content:center;z-index:2147483000}
.launcher svg{width:28px;height:28px}
.left .launcher,.left .panel{right:auto;left:20px}
.panel{position:fixed;bottom:92px;right:20px;width:380px;max-width:calc(100vw - 40px);height:600px;max-height:calc(100vh - 112px);display:flex;flex-direction:column;background:#fff;border-radius:14px;box-shadow:0 10px 40px rgba(0,0,0,.3);overflow:hidden;z-index:2147483001}
.panel[hidden]{display:none}
header{display:flex;align-items:center;gap:6px;padding:6px 8px 6px 12px;background:var(--c);color:var(--fg)}
h2{flex:1;min-width:6.5em;margin:0;font-size:16px;font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
header button{min-height:44px;min-width:44px;max-width:96px;background:transparent;color:inherit;border:1px solid currentColor;border-radius:6px;padding:4px 8px;font-size:13px;line-height:1.2;white-space:normal}
header .x{border:0;padding:4px;display:flex;align-items:center;justify-content:center}
header svg{width:20px;height:20px}
.log{position:relative;flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f4f5f7;overscroll-behavior:contain}
.msg{max-width:88%;padding:8px 12px;border-radius:12px;overflow-wrap:anywhere}
.user{align-self:flex-end;background:var(--c);color:var(--fg);border-bottom-right-radius:4px;white-space:pre-wrap}
.bot{align-self:flex-start;background:#fff;border:1px solid #dfe2e8;border-bottom-left-radius:4px}
.error{align-self:stretch;max-width:none;background:#fdecea;color:#7d1a10;border:1px solid #f3bfb9}
.msg p{margin:0 0 .5em}.msg p:last-of-type{margin-bottom:0}
.msg ul,.msg ol{margin:.3em 0 .5em;padding-left:1.4em}
.msg a{color:#1746c4}
.sources{margin-top:6px;padding-top:6px;border-top:1px solid #eceef2;font-size:13px;color:#4a4f59}
.choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.choices button{min-height:44px;min-width:44px;border:1px solid var(--c);color:var(--c);background:#fff;border-radius:22px;padding:8px 14px;font-size:14px;text-align:left}
.error .choices button{border-color:#7d1a10;color:#7d1a10}
.choices button:disabled{opacity:.45;cursor:default}
.fb{display:flex;align-items:center;gap:4px;margin-top:6px;font-size:13px;color:#4a4f59}
.fb button{min-width:44px;min-height:44px;border:1px solid #dfe2e8;background:#fff;border-radius:22px;padding:0 10px;color:#4a4f59}
.fb svg{width:18px;height:18px;vertical-align:middle}
.typing{display:flex;gap:4px;padding:12px 14px}
.typing i{width:7px;height:7px;border-radius:50%;background:#8a8f99;animation:b 1.2s infinite ease-in-out}
.typing i:nth-child(3){animation-delay:.2s}.typing i:nth-child(4){animation-delay:.4s}
@keyframes b{0%,80%,100%{opacity:.3;transform:translateY(0)}40%{opacity:1;transform:translateY(-3px)}}
form{display:flex;align-items:flex-end;flex-wrap:wrap;gap:8px;padding:8px;border-top:1px solid #dfe2e8;background:#fff}
textarea{flex:1;min-width:0;resize:none;border:1px solid #c4c8d0;border-radius:10px;padding:8px 10px;font:inherit;font-size:16px;line-height:1.35;height:44px;max-height:120px;color:inherit;background:#fff}
textarea[aria-invalid=true]{border-color:#b3261e}
.send{width:44px;height:44px;flex:none;border:0;border-radius:50%;background:var(--c);color:var(--fg);display:flex;align-items:center;justify-content:center}
.send:disabled{opacity:.5;cursor:default}
.send svg{width:20px;height:20px}
.count{flex-basis:100%;font-size:12px;color:#4a4f59;text-align:right}
.count.over{color:#b3261e;font-weight:600}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.panel,.left .panel{inset:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0}.open .launcher{display:none}}
@media (prefers-reduced-motion:reduce){.typing i{animation:none}}
`;

  // Constructable stylesheets pass a strict style-src CSP; <style> is the fallback.
  function addStyles(root) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS_TEXT);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.append(el("style", null, CSS_TEXT));
    }
  }

  // ---------------------------------------------------------------- the widget

  let cfg;
  let ui;

  function build() {
    // A custom element name: host-page rules for div/section never match it, and the shadow root
    // keeps page CSS out of the widget and the widget's CSS out of the page.
    const host = document.createElement("sme-advisor-widget");
    const root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    addStyles(root);

    const input = el("textarea", {
      id: "sma-input",
      rows: "1",
      placeholder: T.placeholder,
      "aria-label": T.inputLabel,
      "aria-describedby": "sma-count",
      onkeydown: onInputKey,
      oninput: onInputChange,
    });
    const count = el("span", { id: "sma-count", class: "count", hidden: true });
    const sendBtn = el("button", { type: "submit", class: "send", "aria-label": T.send }, svg(ICON_SEND));
    const log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": cfg.title });
    const launcher = el("button", {
      type: "button",
      class: "launcher",
      "aria-label": T.open + cfg.title,
      "aria-expanded": "false",
      "aria-controls": "sma-panel",
      onclick: () => (state.open ? close() : open()),
    });
    const panelAttrs = { id: "sma-panel", class: "panel", role: "dialog", "aria-label": cfg.title, hidden: true };
    const panel = el("section", panelAttrs, [
      el("header", { role: "none" }, [ // not a page banner: the host page has its own
        el("h2", null, cfg.title),
        el("button", { type: "button", onclick: newConversation }, T.newChat),
        el("button", { type: "button", onclick: forgetMe }, T.forget),
        el("button", { type: "button", class: "x", "aria-label": T.close, onclick: close }, svg(ICON_CLOSE)),
      ]),
      log,
      el("form", { onsubmit: onSubmit }, [input, sendBtn, count]),
    ]);
    const wrapAttrs = { class: `root ${cfg.position}`, lang: cfg.lang, onkeydown: onWidgetKey };
    const wrap = el("div", wrapAttrs, [launcher, panel]);
    wrap.style.setProperty("--c", cfg.color);
    wrap.style.setProperty("--fg", textOn(cfg.color));
    root.append(wrap);
    document.body.append(host);
    ui = { host, root, wrap, launcher, panel, log, input, count, sendBtn };
    setLauncherIcon();
  }

  function setLauncherIcon() {
    fill(ui.launcher, svg(state.open ? ICON_CLOSE : ICON_CHAT));
  }

  function open(focus = true) {
    state.open = true;
    ui.panel.hidden = false;
    ui.wrap.classList.add("open");
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.launcher.setAttribute("aria-label", T.close);
    setLauncherIcon();
    scrollToEnd();
    if (focus) ui.input.focus(); // not when re-opened on page load: that would steal the page's focus
    saveState();
  }

  function close() {
    const hadFocus = ui.root.activeElement != null;
    state.open = false;
    ui.panel.hidden = true;
    ui.wrap.classList.remove("open");
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.setAttribute("aria-label", T.open + cfg.title);
    setLauncherIcon();
    if (hadFocus) ui.launcher.focus(); // keyboard users land back on the launcher
    saveState();
  }

  function onWidgetKey(event) {
    if (event.key === "Escape" && state.open) {
      event.preventDefault();
      close();
    }
  }

  // Enter sends, Shift+Enter makes a new line; never send half-composed IME input.
  function onInputKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      onSubmit(event);
    }
  }

  function onInputChange() {
    const n = ui.input.value.length;
    ui.count.hidden = n < WARN_AT;
    ui.count.textContent = T.count(n);
    ui.count.classList.toggle("over", n > MAX_CHARS);
    ui.input.setAttribute("aria-invalid", String(n > MAX_CHARS));
    ui.input.style.height = "44px"; // grow with the text, up to max-height
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 120) + "px";
  }

  function onSubmit(event) {
    event.preventDefault();
    const text = ui.input.value.trim();
    if (!text || state.busy) return;
    if (text.length > MAX_CHARS) {
      showError(T.tooLong(text.length)); // refused here; the text stays so it can be shortened
      return;
    }
    ui.input.value = "";
    onInputChange();
    send(text, text);
  }

  // ---------------------------------------------------------------- rendering

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // Buttons of a bot message stay usable until the user says something after it.
  function renderHistory() {
    fill(ui.log);
    let lastUser = -1;
    state.history.forEach((entry, i) => entry.role === "user" && (lastUser = i));
    state.history.forEach((entry, i) => ui.log.append(renderEntry(entry, i > lastUser)));
    scrollToEnd();
  }

  function renderEntry(entry, live) {
    if (entry.role === "user") {
      return el("div", { class: "msg user" }, [el("span", { class: "sr" }, T.you), entry.text]);
    }
    const node = el("div", { class: "msg bot" }, [el("span", { class: "sr" }, cfg.title + ": "), markdown(entry.text)]);
    const sources = renderSources(entry.sources);
    if (sources) node.append(sources);
    const choices = (entry.buttons || []).map((b) =>
      el("button", { type: "button", disabled: !live, onclick: () => send(b.payload, b.title) }, b.title)
    );
    if (entry.location) {
      choices.push(el("button", { type: "button", disabled: !live, onclick: shareLocation }, T.useLocation));
    }
    if (choices.length) node.append(el("div", { class: "choices", role: "group", "aria-label": T.choices }, choices));
    if (entry.answer) node.append(renderFeedback(entry));
    return node;
  }

  function renderSources(sources) {
    const seen = new Set();
    const parts = [];
    for (const s of sources) {
      const key = s.url || s.title;
      if (!s.title || seen.has(key)) continue;
      seen.add(key);
      if (parts.length) parts.push(", ");
      parts.push(s.url ? link(s.title, s.url) : s.title);
    }
    return parts.length ? el("div", { class: "sources" }, [T.sources, ...parts]) : null;
  }

  function renderFeedback(entry) {
    const box = el("div", { class: "fb", role: "group", "aria-label": T.rateAnswer });
    if (entry.rated) {
      box.append(T.thanks);
      return box;
    }
    const rate = (rating) => () => giveFeedback(entry, rating, box);
    box.append(
      el("span", { "aria-hidden": "true" }, T.wasHelpful),
      el("button", { type: "button", "aria-label": T.helpful, title: T.helpful, onclick: rate(1) }, svg(ICON_UP)),
      el("button", { type: "button", "aria-label": T.notHelpful, title: T.notHelpful, onclick: rate(-1) }, svg(ICON_DOWN))
    );
    return box;
  }

  function disableChoices() {
    ui.log.querySelectorAll(".choices button").forEach((b) => (b.disabled = true)); // incl. "Try again"
  }

  function addEntry(entry) {
    state.history.push(entry);
    saveState();
    ui.log.append(renderEntry(entry, true));
    scrollToEnd();
  }

  // Errors are shown, not kept in the history.
  function showError(text, retry) {
    const node = el("div", { class: "msg error" }, [el("span", { class: "sr" }, T.error), text]);
    if (retry) {
      const again = () => {
        node.remove();
        retry();
      };
      node.append(el("div", { class: "choices" }, el("button", { type: "button", onclick: again }, T.retry)));
    }
    ui.log.append(node);
    scrollToEnd();
  }

  function setBusy(busy, label) {
    state.busy = busy;
    ui.sendBtn.disabled = busy;
    ui.log.setAttribute("aria-busy", String(busy));
    if (ui.typing) ui.typing.remove();
    ui.typing = null;
    if (busy) {
      const text = label || cfg.title + T.typing;
      ui.typing = el("div", { class: "msg bot typing", role: "status" }, [
        el("span", { class: "sr" }, text),
        el("i"),
        el("i"),
        el("i"),
      ]);
      ui.log.append(ui.typing);
      scrollToEnd();
    }
  }

  // ---------------------------------------------------------------- talking to the gateway

  async function postJSON(path, body) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(cfg.api + path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        signal: abort.signal,
        credentials: "omit",
      });
    } catch (e) {
      throw requestError(e.name === "AbortError" ? T.timeout : T.offline, true);
    } finally {
      clearTimeout(timer);
    }
    const payload = await response.json().catch(() => null);
    if (!response.ok) throw requestError(errorText(response.status, payload), response.status >= 429);
    return payload || {};
  }

  function requestError(message, retryable) {
    const error = new Error(message);
    error.retryable = retryable;
    return error;
  }

  // The gateway answers {"detail": "..."}; FastAPI validation errors are {"detail": [{"msg": ...}]}.
  function errorText(status, payload) {
    const detail = payload && payload.detail;
    let text = "";
    if (typeof detail === "string") text = detail;
    else if (Array.isArray(detail)) {
      text = detail.map((d) => String((d && d.msg) || "").replace(/^Value error, /, "")).filter(Boolean).join("; ");
    }
    // Server faults are told in our own words (the gateway's 503 already is): never an exception name.
    if (status >= 500 && (status !== 503 || typeof detail !== "string")) return T.serverError;
    if (!text) return T.badRequest;
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // Show `shown`, send `message` (text or a /payload), render the replies.
  function send(message, shown, metadata) {
    if (state.busy) return;
    disableChoices();
    addEntry(toEntry({ role: "user", text: shown }));
    request(message, shown, metadata);
  }

  // The signed session id, asked for once; a fresh one when the gateway refused ours.
  async function session() {
    if (!state.sender) adopt(await postJSON("/api/session", {}));
    return state.sender;
  }

  function adopt(reply) {
    if (reply && typeof reply.sender === "string" && TOKEN.test(reply.sender)) {
      state.sender = reply.sender;
      saveState();
    }
  }

  async function request(message, question, metadata) {
    const epoch = state.epoch;
    setBusy(true);
    try {
      const body = { sender: await session(), message, metadata: { language: cfg.lang, ...metadata } };
      const reply = await postJSON("/api/chat", body);
      adopt(reply);
      if (epoch !== state.epoch) return; // "New conversation" was pressed meanwhile
      setBusy(false);
      addReplies(Array.isArray(reply.messages) ? reply.messages : [], question);
    } catch (e) {
      if (epoch !== state.epoch) return;
      setBusy(false);
      showError(e.message, e.retryable ? () => request(message, question, metadata) : null);
    }
  }

  // Coerce a server message or a stored entry into a history entry: unknown keys dropped, types
  // forced, so nothing odd in a reply or in localStorage can break rendering.
  function toEntry(m) {
    if (!m || typeof m !== "object") return null;
    const str = (v) => (v == null ? "" : String(v));
    const list = (v) => (Array.isArray(v) ? v.filter((x) => x && typeof x === "object") : []);
    const entry = {
      role: m.role === "user" ? "user" : "bot",
      text: str(m.text),
      buttons: list(m.buttons).map((b) => ({ title: str(b.title), payload: str(b.payload) })),
      sources: list(m.sources).map((s) => ({ title: str(s.title), url: s.url ? str(s.url) : null })),
      location: Boolean(m.request_location || m.location),
    };
    if (m.answer) {
      Object.assign(entry, { question: str(m.question), answer: str(m.answer), rated: Number(m.rated) || 0 });
    }
    return entry;
  }

  // One 👍/👎 per answer that cites sources (not under "Which city are you in?"): on its last text
  // message, rating the whole reply. Then scroll back to the question, so a long answer reads from its start.
  function addReplies(messages, question) {
    const anchor = ui.log.lastElementChild;
    const entries = messages
      .map((m) => toEntry({ ...m, role: "bot", answer: null })) // the server cannot pre-set feedback fields
      .filter((e) => e && (e.text || e.buttons.length || e.sources.length || e.location));
    const texts = entries.filter((e) => e.text);
    if (texts.length && question && entries.some((e) => e.sources.length)) {
      const last = texts[texts.length - 1];
      last.question = question.slice(0, 4000);
      last.answer = texts.map((e) => e.text).join("\n\n").slice(0, 8000);
    }
    if (!entries.length) entries.push(toEntry({ text: T.noReply })); // our own words: nothing to rate
    entries.forEach(addEntry);
    if (anchor) ui.log.scrollTop = anchor.offsetTop - 8; // the browser clamps it to the end
  }

  async function giveFeedback(entry, rating, box) {
    box.querySelectorAll("button").forEach((b) => (b.disabled = true));
    try {
      const body = { sender: await session(), rating, question: entry.question || "", answer: entry.answer };
      adopt(await postJSON("/api/feedback", body));
      entry.rated = rating;
      saveState();
      fill(box, T.thanks);
    } catch (e) {
      box.querySelectorAll("button").forEach((b) => (b.disabled = false));
      const old = box.querySelector(".fail");
      if (old) old.remove();
      box.append(el("span", { class: "fail" }, T.feedbackFailed + e.message));
    }
  }

  // The browser asks for consent; then the bot gets the location intent.
  function shareLocation() {
    if (state.busy) return;
    if (!navigator.geolocation) return locationRefused();
    setBusy(true, T.locating);
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setBusy(false);
        const lat = pos.coords.latitude.toFixed(6);
        const lon = pos.coords.longitude.toFixed(6);
        const message = `/share_location{"latitude": ${lat}, "longitude": ${lon}}`;
        send(message, T.sharedLocation, { latitude: Number(lat), longitude: Number(lon) });
      },
      () => {
        setBusy(false);
        locationRefused();
      },
      { timeout: 20000, maximumAge: 600000 }
    );
  }

  function locationRefused() {
    addEntry(toEntry({ text: T.noLocation }));
    ui.input.focus();
  }

  // Clears the local history, greets again, and tells Rasa to restart (its replies are not shown:
  // the local greeting already opens the new conversation).
  function newConversation() {
    state.epoch += 1;
    setBusy(false);
    state.history = [];
    greet();
    renderHistory();
    ui.input.focus();
    if (state.sender) postJSON("/api/chat", { sender: state.sender, message: "/restart" }).catch(() => {});
  }

  // "Forget me": erase on the server, then start afresh under a new session (asked for when needed).
  async function forgetMe() {
    if (!window.confirm(T.forgetConfirm)) return;
    try {
      if (state.sender) await postJSON("/api/forget", { sender: state.sender });
    } catch (err) {
      addEntry(toEntry({ text: T.forgetFailed }));
      return;
    }
    state.epoch += 1;
    setBusy(false);
    state.sender = "";
    state.history = [toEntry({ text: T.forgotten })];
    saveState();
    renderHistory();
    ui.input.focus();
  }

  function greet() {
    state.history.push(toEntry({ text: cfg.greeting, buttons: GREETING_BUTTONS }));
    saveState();
  }

  // Another tab of the same site changed the conversation: show it here too.
  function onStorage(event) {
    if (event.key !== STORE_KEY || state.busy) return;
    const wasOpen = state.open;
    loadState();
    state.open = wasOpen;
    renderHistory();
  }

  function start() {
    cfg = readConfig();
    loadState();
    if (!state.history.length) greet();
    build();
    renderHistory();
    if (state.open) open(false);
    window.addEventListener("storage", onStorage);
  }

  // For host pages, e.g. a "Chat with us" link: SmeAdvisor.open().
  window.SmeAdvisor = {
    open: () => ui && open(),
    close: () => ui && close(),
    newConversation: () => ui && newConversation(),
  };

  // Nothing touches the page before it is parsed, whether the tag is defer, async or plain.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
