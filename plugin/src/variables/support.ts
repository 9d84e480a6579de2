// Template variable support: Grafana runs the variable editor's query through here.
import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { from, Observable } from 'rxjs';
import { map } from 'rxjs/operators';

import type { DataSource } from '../datasource';
import { SensorstoreQuery, SensorstoreOptions, SensorstoreVariableQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

export { parseVariableQuery } from './parse';

export class SensorstoreVariableSupport extends CustomVariableSupport<DataSource, SensorstoreVariableQuery, SensorstoreQuery, SensorstoreOptions> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<SensorstoreVariableQuery>): Observable<DataQueryResponse> {
    const query = request.targets[0];
    return from(this.datasource.findValues(query, request.range, request.scopedVars, undefined, request.filters)).pipe(
      map((values) => ({ data: values.map((text) => ({ text, value: text })) })),
    );
  }
}
