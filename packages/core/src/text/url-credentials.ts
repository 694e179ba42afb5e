// `scheme://user:password@`, the userinfo of any URL in a text: up to the last "@"
// before the host, so a password holding "@" is redacted whole.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>]*@/gi;

/**
 * `text` with the credentials of every URL in it replaced by `***`
 * (`http://***@host:8000`): a store URL given as `http://user:secret@host`
 * must not reach an error message, its details or a log.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, "$1***@");
}
