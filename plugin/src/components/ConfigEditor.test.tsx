// The settings form: fields write jsonData / secureJsonData, the token can be reset, mistakes are shown.
import { DataSourceSettings } from '@grafana/data';
import { fireEvent, render, screen } from '@testing-library/react';

import { SensorstoreOptions, SensorstoreSecureOptions } from '../types';
import { ConfigEditor } from './ConfigEditor';

type Settings = DataSourceSettings<SensorstoreOptions, SensorstoreSecureOptions>;

function settings(patch: Partial<Settings> = {}): Settings {
  return {
    id: 1,
    uid: 'sensorstore',
    orgId: 1,
    name: 'Sensorstore',
    type: 'sensorstore-datasource',
    typeName: 'Sensorstore',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: { url: 'http://sidecar:8428', minInterval: '10s' },
    secureJsonFields: {},
    readOnly: false,
    withCredentials: false,
    ...patch,
  } as Settings;
}

describe('ConfigEditor', () => {
  it('writes the URL to jsonData and the token to secureJsonData', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings()} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByPlaceholderText('http://sidecar:8428'), { target: { value: ' http://10.0.0.5:8428 ' } });
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ jsonData: { url: 'http://10.0.0.5:8428', minInterval: '10s' } }));
    fireEvent.change(screen.getByPlaceholderText(/read token/), { target: { value: 's3cret' } });
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ secureJsonData: { token: 's3cret' } }));
  });

  it('shows a stored token as configured and resets it', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings({ secureJsonFields: { token: true } })} onOptionsChange={onOptionsChange} />);
    expect((screen.getByDisplayValue('configured') as HTMLInputElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(onOptionsChange).toHaveBeenLastCalledWith(expect.objectContaining({ secureJsonFields: { token: false }, secureJsonData: { token: '' } }));
  });

  it('points out a URL without a scheme and an interval it can not read', () => {
    render(<ConfigEditor options={settings({ jsonData: { url: 'sidecar:8428', minInterval: 'fast' } })} onOptionsChange={jest.fn()} />);
    expect(screen.getByText('Use an http:// or https:// URL, e.g. http://sidecar:8428')).toBeTruthy();
    expect(screen.getByText(/"fast" is not an interval/)).toBeTruthy();
  });
});
