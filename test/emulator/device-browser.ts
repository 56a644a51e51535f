/** Plays a person's browser on the emulator's device verification page: opens it, reads its form, presses a button. */
import assert from 'node:assert/strict';

/** A page as the browser got it. */
export interface Page {
  status: number;
  contentType: string;
  html: string;
}

/** GETs a page. */
export async function openPage(url: string | URL): Promise<Page> {
  const response = await fetch(url);
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    html: await response.text(),
  };
}

function unescapeHtml(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** The text a person reads on a page: tags dropped, entities decoded, white space collapsed. */
export function pageText(html: string): string {
  const blocks = /<\/?(?:p|h1|form|button|label|input|body|html)\b[^>]*>/g;
  return unescapeHtml(
    html
      .replace(/<head>[\s\S]*?<\/head>/g, '')
      .replace(blocks, ' ')
      .replace(/<[^>]+>/g, ''),
  )
    .replace(/\s+/g, ' ')
    .trim();
}

/** The labels of the page's submit buttons, in order. */
export function buttons(html: string): string[] {
  return [...html.matchAll(/<button type="submit"[^>]*>([^<]*)<\/button>/g)].map((m) => m[1]!);
}

/**
 * Submits the page's POST form as a browser does when the button with `value` is pressed: the form's hidden fields
 * and that button's name and value, form-encoded, to the form's action resolved against the page's URL.
 */
export async function pressButton(pageUrl: string | URL, html: string, value: string): Promise<Page> {
  const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
  assert.ok(form, `no POST form on the page:\n${html}`);
  const fields = new URLSearchParams();
  for (const input of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.append(unescapeHtml(input[1]!), unescapeHtml(input[2]!));
  }
  const button = [...form[2]!.matchAll(/<button type="submit" name="([^"]+)" value="([^"]+)">/g)].find(
    (m) => m[2] === value,
  );
  assert.ok(button, `no button with the value ${value} in the form:\n${form[0]}`);
  fields.append(unescapeHtml(button[1]!), unescapeHtml(button[2]!));
  const response = await fetch(new URL(unescapeHtml(form[1]!), pageUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    html: await response.text(),
  };
}
