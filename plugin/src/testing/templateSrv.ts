// A TemplateSrv for tests that formats values the way Grafana's does: multi-value and All
// selections, custom All values, scoped variables, named formats and custom format functions.
import { AdHocVariableFilter, ScopedVars, TypedVariableModel } from '@grafana/data';
import { TemplateSrv } from '@grafana/runtime';

export interface TestVariable {
  name: string;
  /** One value, several (multi-value), or `$__all`. */
  current: string | string[];
  options?: string[];
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}

/** An "Ad hoc filters" variable: the filters it holds and the datasource (uid, or `$variable`) it serves. */
export interface TestAdHocVariable {
  name: string;
  datasourceUid: string;
  filters: AdHocVariableFilter[];
}

const VARIABLE_REF = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function formatNamed(value: string | string[], format: string | undefined): string {
  if (!Array.isArray(value)) {
    return value;
  }
  switch (format) {
    case 'csv':
      return value.join(',');
    case 'pipe':
      return value.join('|');
    default:
      // Grafana's default for several values is a glob.
      return value.length === 1 ? value[0] : `{${value.join(',')}}`;
  }
}

export class TestTemplateSrv implements TemplateSrv {
  constructor(
    private readonly variables: TestVariable[] = [],
    private readonly adHocVariables: TestAdHocVariable[] = [],
  ) {}

  getVariables(): TypedVariableModel[] {
    const values = this.variables.map(
      (variable) =>
        ({
          name: variable.name,
          type: 'custom',
          multi: Boolean(variable.multi),
          includeAll: Boolean(variable.includeAll),
          allValue: variable.allValue ?? null,
          current: { value: variable.current, text: variable.current },
        }) as unknown as TypedVariableModel,
    );
    const adHoc = this.adHocVariables.map(
      (variable) => ({ name: variable.name, type: 'adhoc', datasource: { uid: variable.datasourceUid }, filters: variable.filters }) as unknown as TypedVariableModel,
    );
    return [...values, ...adHoc];
  }

  containsTemplate(target?: string): boolean {
    if (!target) {
      return false;
    }
    VARIABLE_REF.lastIndex = 0;
    return [...target.matchAll(VARIABLE_REF)].some((match) => this.lookup(match[1] || match[2] || match[4], {}) !== undefined);
  }

  updateTimeRange(): void {}

  replace(target?: string, scopedVars?: ScopedVars, format?: string | ((...args: unknown[]) => string)): string {
    if (!target) {
      return target ?? '';
    }
    return target.replace(VARIABLE_REF, (match, var1, var2, fmt2, var3, _fieldPath, fmt3) => {
      const name = var1 || var2 || var3;
      const found = this.lookup(name, scopedVars ?? {});
      if (!found) {
        return match;
      }
      const fmt = fmt2 || fmt3 || format;
      // As Grafana's CustomAllValue: a custom All value is inserted as is, whatever the format.
      if (found.customAll) {
        return String(found.value);
      }
      if (typeof fmt === 'function') {
        return fmt(found.value, found.model, formatNamed);
      }
      return formatNamed(found.value, fmt);
    });
  }

  private lookup(name: string, scopedVars: ScopedVars): { value: string | string[]; model: object; customAll?: boolean } | undefined {
    const scoped = scopedVars[name];
    if (scoped) {
      return { value: scoped.value as string | string[], model: { name } };
    }
    const variable = this.variables.find((candidate) => candidate.name === name);
    if (!variable) {
      return undefined;
    }
    const model = { name, multi: variable.multi, includeAll: variable.includeAll, allValue: variable.allValue };
    const isAll = variable.current === '$__all' || (Array.isArray(variable.current) && variable.current.includes('$__all'));
    if (isAll) {
      return variable.allValue ? { value: variable.allValue, model, customAll: true } : { value: variable.options ?? [], model };
    }
    return { value: variable.current, model };
  }
}
