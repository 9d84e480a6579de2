// The plugin's entry point: Grafana loads this module and reads its `plugin` export.
import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { SensorstoreOptions, SensorstoreQuery, SensorstoreSecureOptions } from './types';

export const plugin = new DataSourcePlugin<DataSource, SensorstoreQuery, SensorstoreOptions, SensorstoreSecureOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
