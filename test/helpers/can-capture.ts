/** Whether live capture can run here: root (or CAP_NET_RAW) and the cap addon built. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export function canCapture(): boolean {
  const root = process.getuid?.() === 0;
  return root && existsSync(resolve(__dirname, '../../node_modules/cap/build/Release/cap.node'));
}
