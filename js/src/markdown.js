// A small, safe Markdown renderer: it builds DOM nodes (text nodes and a fixed set of elements) and never
// parses HTML, so a logged text can show formatting but can never run a script or load anything.
// Supported: # headings, paragraphs, - and * lists, 1. lists, ``` code blocks, **bold**, *italic*, `code`,
// and [text](http(s) url) links (opened in a new tab, no referrer).

import { el } from "./dom.js";

const INLINE = /(\*\*[^*]+\*\*|\*[^*\s][^*]*\*|`[^`]+`|\[[^\]]+\]\([^)\s]+\))/;

/** @param {string} text @param {HTMLElement} into */
function inline(text, into) {
  for (const part of text.split(INLINE)) {
    if (!part) continue;
    let node = null;
    if (part.startsWith("**") && part.endsWith("**") && part.length > 4) node = el("strong", "", part.slice(2, -2));
    else if (part.startsWith("`") && part.endsWith("`") && part.length > 2) node = el("code", "", part.slice(1, -1));
    else if (part.startsWith("*") && part.endsWith("*") && part.length > 2) node = el("em", "", part.slice(1, -1));
    else if (part.startsWith("[")) node = link(part);
    into.append(node ?? part);
  }
}

/** A link only for http(s) URLs; anything else stays text. @param {string} part */
function link(part) {
  const match = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(part);
  if (!match || !/^https?:\/\//i.test(match[2])) return null;
  const a = document.createElement("a");
  a.textContent = match[1];
  a.href = match[2];
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

/**
 * Render Markdown source into a new element.
 * @example
 * renderMarkdown("# Title\n\n**bold** <script>x</script>") // <div><h3>Title</h3><p><strong>bold</strong> &lt;script&gt;…</p></div>
 * @param {string} source
 * @returns {HTMLElement}
 */
export function renderMarkdown(source) {
  const root = el("div", "nbtrack-markdown");
  const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
  /** @type {HTMLElement | null} */
  let list = null;
  /** @type {string[] | null} */
  let code = null;
  /** @type {string[]} */
  let paragraph = [];
  const endParagraph = () => {
    if (paragraph.length) {
      const p = document.createElement("p");
      inline(paragraph.join(" "), p);
      root.appendChild(p);
    }
    paragraph = [];
  };
  for (const line of lines) {
    if (code) {
      if (line.startsWith("```")) {
        root.appendChild(el("pre", "", code.join("\n")));
        code = null;
      } else code.push(line);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(line);
    if (line.startsWith("```")) {
      endParagraph();
      list = null;
      code = [];
    } else if (heading) {
      endParagraph();
      list = null;
      const h = document.createElement(`h${Math.min(6, heading[1].length + 2)}`);
      inline(heading[2], h);
      root.appendChild(h);
    } else if (item) {
      endParagraph();
      if (!list) {
        list = document.createElement(/^\s*\d/.test(line) ? "ol" : "ul");
        root.appendChild(list);
      }
      const li = document.createElement("li");
      inline(item[1], li);
      list.appendChild(li);
    } else if (!line.trim()) {
      endParagraph();
      list = null;
    } else {
      list = null;
      paragraph.push(line.trim());
    }
  }
  if (code) root.appendChild(el("pre", "", code.join("\n")));
  endParagraph();
  return root;
}
