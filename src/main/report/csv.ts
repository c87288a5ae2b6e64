/** CSV output: report tables (full-precision numbers) and long-format point rows. */
import { csvLine } from './escape.js';
import { checkTable, plainText, rawCell, type Table } from './table.js';

export function tableToCsv(t: Table): string {
  checkTable(t);
  return csvLine(t.columns.map((c) => plainText(c.header))) + t.rows.map((r) => csvLine(r.map(rawCell))).join('');
}

/** Builds a CSV text row by row (header first); `rows` counts data rows only. */
export class CsvBuilder {
  private readonly parts: string[] = [];
  rows = 0;

  constructor(readonly header: readonly string[]) {
    this.parts.push(csvLine(header));
  }

  add(fields: readonly (string | number | boolean | null | undefined)[]): void {
    if (fields.length !== this.header.length) {
      throw new Error(
        `CSV row has ${fields.length} fields for the ${this.header.length} columns ${this.header.join(', ')}.`,
      );
    }
    this.parts.push(csvLine(fields));
    this.rows++;
  }

  toString(): string {
    return this.parts.join('');
  }
}
