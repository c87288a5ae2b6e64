/** Save a Blob through a temporary link (works in the browser and in Electron, needs no permission). */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoke later: the download reads the URL asynchronously.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

export function downloadText(text: string, filename: string, type: string): void {
  downloadBlob(new Blob([text], { type }), filename);
}

/** A file the lab sent as JSON (a report): text as is, bytes (a PDF) from base64. */
export function downloadFile(file: {
  filename: string;
  mimeType: string;
  encoding: 'utf8' | 'base64';
  content: string;
}): void {
  if (file.encoding === 'utf8') {
    downloadText(file.content, file.filename, file.mimeType);
    return;
  }
  const binary = atob(file.content);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  downloadBlob(new Blob([bytes], { type: file.mimeType }), file.filename);
}
