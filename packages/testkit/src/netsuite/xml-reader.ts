/** An XML element: local name (prefix dropped), attributes (local names), children and text. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function decode(value: string): string {
  return value
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, "&");
}

const local = (name: string): string => name.slice(name.indexOf(":") + 1);

/**
 * Reads a SOAP request into a tree. Enough XML for a simulator: elements, attributes,
 * text, self-closing tags, the XML declaration and comments; namespace prefixes dropped
 * (`xsi:type` kept as `xsiType`).
 *
 * @throws Error on mismatched or unclosed tags
 */
export function readXml(source: string): XmlElement {
  const root: XmlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  const pattern =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  let consumed = 0;
  for (let match = pattern.exec(source); match !== null; match = pattern.exec(source)) {
    if (match.index !== consumed) throw new Error(`Unreadable XML at offset ${consumed}`);
    consumed = pattern.lastIndex;
    const [whole, closing, tag, attributeText, selfClosing, text] = match;
    if (whole.startsWith("<!--") || whole.startsWith("<?")) continue;
    const top = stack[stack.length - 1] as XmlElement;
    if (text !== undefined) {
      top.text += decode(text);
      continue;
    }
    const name = local(tag as string);
    if (closing) {
      if (top.name !== name) throw new Error(`Closing </${tag}> does not match <${top.name}>`);
      top.text = top.text.trim();
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const attribute of (attributeText ?? "").matchAll(/([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      const key = attribute[1] as string;
      if (key === "xmlns" || key.startsWith("xmlns:")) continue;
      attributes[key === "xsi:type" ? "xsiType" : local(key)] = decode(attribute[2] ?? attribute[3] ?? "");
    }
    const element: XmlElement = { name, attributes, children: [], text: "" };
    top.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (consumed !== source.length) throw new Error(`Unreadable XML at offset ${consumed}`);
  if (stack.length !== 1) throw new Error(`Unclosed <${(stack[stack.length - 1] as XmlElement).name}>`);
  return root;
}

/** The first child with a local name, searching depth-first. */
export function findElement(element: XmlElement, name: string): XmlElement | undefined {
  for (const child of element.children) {
    if (child.name === name) return child;
    const found = findElement(child, name);
    if (found) return found;
  }
  return undefined;
}
