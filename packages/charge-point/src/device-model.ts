/**
 * The station's device model (OCPP 2.0.1 Part 1 §4 and Part 2 B05–B07): the standard variables an
 * operator reads and sets through GetVariables / SetVariables and sees in GetBaseReport. Only the
 * Actual attribute exists here; a ReadWrite variable's setter checks the value and, for the
 * heartbeat interval, takes effect at once (the adapter listens).
 */
import type {
  GetVariableData,
  GetVariableResult,
  ReportBase,
  ReportData,
  SetVariableData,
  SetVariableResult,
} from '@evpaxos/ocpp';
import { EV_CONNECTION_TIMEOUT_S_DEFAULT } from './constants';

interface Variable {
  readonly component: string;
  readonly name: string;
  readonly dataType: 'integer' | 'boolean' | 'string' | 'OptionList';
  readonly mutability: 'ReadOnly' | 'ReadWrite';
  readonly unit?: string;
  readonly min?: number;
  readonly max?: number;
  readonly valuesList?: string;
  value: string;
}

const key = (component: string, name: string): string => `${component}.${name}`;

export interface DeviceModelOptions {
  readonly heartbeatIntervalS: number;
  readonly offlineThresholdS: number;
  readonly maxPowerW: number;
}

/** The variables this station has, with their values at start. */
function standardVariables(options: DeviceModelOptions): Variable[] {
  const out: Variable[] = [];
  const add = (variable: Variable): void => {
    out.push(variable);
  };
  const integer = (component: string, name: string, value: number, extra: Partial<Variable> = {}) =>
    add({
      component,
      name,
      dataType: 'integer',
      mutability: 'ReadOnly',
      value: String(value),
      ...extra,
    });
  /** A ReadOnly boolean that is true: a capability this station has. */
  const enabled = (component: string, name: string) =>
    add({ component, name, dataType: 'boolean', mutability: 'ReadOnly', value: 'true' });
  // B01/B05: the heartbeat interval the CSMS may change; K: how long offline counts as offline.
  integer('OCPPCommCtrlr', 'HeartbeatInterval', options.heartbeatIntervalS, {
    mutability: 'ReadWrite',
    unit: 's',
    min: 1,
    max: 86_400,
  });
  integer('OCPPCommCtrlr', 'OfflineThreshold', options.offlineThresholdS, {
    mutability: 'ReadWrite',
    unit: 's',
    min: 1,
    max: 86_400,
  });
  // E: a transaction starts when authorised and ends when the EV leaves (transaction-events.ts).
  add({
    component: 'TxCtrlr',
    name: 'TxStartPoint',
    dataType: 'OptionList',
    mutability: 'ReadOnly',
    valuesList: 'Authorized',
    value: 'Authorized',
  });
  add({
    component: 'TxCtrlr',
    name: 'TxStopPoint',
    dataType: 'OptionList',
    mutability: 'ReadOnly',
    valuesList: 'EVConnected',
    value: 'EVConnected',
  });
  integer('TxCtrlr', 'EVConnectionTimeOut', EV_CONNECTION_TIMEOUT_S_DEFAULT, {
    mutability: 'ReadWrite',
    unit: 's',
    min: 1,
    max: 3_600,
  });
  enabled('TxCtrlr', 'StopTxOnEVSideDisconnect');
  // K: TxProfiles in W, up to 3 periods (the site's schedulePeriodsMax), one stack level.
  enabled('SmartChargingCtrlr', 'Enabled');
  // E05: a transaction whose idToken the CSMS does not accept in its TransactionEventResponse ends.
  enabled('TxCtrlr', 'StopTxOnInvalidId');
  enabled('SmartChargingCtrlr', 'Available');
  add({
    component: 'SmartChargingCtrlr',
    name: 'RateUnit',
    dataType: 'string',
    mutability: 'ReadOnly',
    value: 'W',
  });
  integer('SmartChargingCtrlr', 'PeriodsPerSchedule', 3);
  integer('SmartChargingCtrlr', 'ProfileStackLevel', 0);
  integer('SmartChargingCtrlr', 'ExternalControlSignalsEnabled', 0);
  integer('ChargingStation', 'MaxPowerW', options.maxPowerW, { unit: 'W' });
  add({
    component: 'ChargingStation',
    name: 'AvailabilityState',
    dataType: 'OptionList',
    mutability: 'ReadOnly',
    valuesList: 'Available,Occupied,Reserved,Unavailable,Faulted',
    value: 'Available',
  });
  enabled('ReservationCtrlr', 'Enabled');
  return out;
}

export class DeviceModel {
  private readonly variables = new Map<string, Variable>();
  private readonly listeners = new Set<(component: string, name: string, value: string) => void>();

  constructor(options: DeviceModelOptions) {
    for (const variable of standardVariables(options)) {
      this.variables.set(key(variable.component, variable.name), variable);
    }
  }

  /** Called after a successful SetVariables (component, variable, new value). */
  onChange(listener: (component: string, name: string, value: string) => void): void {
    this.listeners.add(listener);
  }

  value(component: string, name: string): string | undefined {
    return this.variables.get(key(component, name))?.value;
  }

  /** The station's own changes (e.g. AvailabilityState), not subject to mutability. */
  setInternal(component: string, name: string, value: string): void {
    const variable = this.variables.get(key(component, name));
    if (variable !== undefined) variable.value = value;
  }

  private find(component: string, name: string): Variable | 'UnknownComponent' | 'UnknownVariable' {
    const variable = this.variables.get(key(component, name));
    if (variable !== undefined) return variable;
    return [...this.variables.values()].some((entry) => entry.component === component)
      ? 'UnknownVariable'
      : 'UnknownComponent';
  }

  get(data: GetVariableData): GetVariableResult {
    const base = { component: data.component, variable: data.variable };
    const found = this.find(data.component.name, data.variable.name);
    if (typeof found === 'string') return { ...base, attributeStatus: found };
    if ((data.attributeType ?? 'Actual') !== 'Actual') {
      return {
        ...base,
        attributeType: data.attributeType,
        attributeStatus: 'NotSupportedAttributeType',
      };
    }
    return { ...base, attributeStatus: 'Accepted', attributeValue: found.value };
  }

  set(data: SetVariableData): SetVariableResult {
    const base = { component: data.component, variable: data.variable };
    const found = this.find(data.component.name, data.variable.name);
    if (typeof found === 'string') return { ...base, attributeStatus: found };
    if ((data.attributeType ?? 'Actual') !== 'Actual') {
      return { ...base, attributeStatus: 'NotSupportedAttributeType' };
    }
    const invalid = this.invalid(found, data.attributeValue);
    if (invalid !== null) {
      return {
        ...base,
        attributeStatus: 'Rejected',
        attributeStatusInfo: { reasonCode: invalid.code, additionalInfo: invalid.reason },
      };
    }
    found.value = data.attributeValue;
    for (const listener of this.listeners) listener(found.component, found.name, found.value);
    return { ...base, attributeStatus: 'Accepted' };
  }

  private invalid(variable: Variable, value: string): { code: string; reason: string } | null {
    if (variable.mutability === 'ReadOnly') {
      return { code: 'ReadOnly', reason: `${variable.component}.${variable.name} is read-only` };
    }
    if (variable.dataType === 'integer') {
      const number = Number(value);
      if (
        !/^-?\d+$/.test(value) ||
        number < (variable.min ?? -Infinity) ||
        number > (variable.max ?? Infinity)
      ) {
        return {
          code: 'OutOfRange',
          reason: `an integer from ${variable.min ?? '-∞'} to ${variable.max ?? '∞'} is expected`,
        };
      }
    }
    return null;
  }

  /** B07: the report's items, by base (Configuration: the ReadWrite ones; Summary: availability). */
  report(base: ReportBase): ReportData[] {
    return [...this.variables.values()]
      .filter((variable) =>
        base === 'FullInventory'
          ? true
          : base === 'ConfigurationInventory'
            ? variable.mutability === 'ReadWrite'
            : variable.name === 'AvailabilityState',
      )
      .map((variable) => ({
        component: { name: variable.component },
        variable: { name: variable.name },
        variableAttribute: [
          { type: 'Actual', value: variable.value, mutability: variable.mutability },
        ],
        variableCharacteristics: {
          dataType: variable.dataType,
          supportsMonitoring: false,
          ...(variable.unit === undefined ? {} : { unit: variable.unit }),
          ...(variable.min === undefined ? {} : { minLimit: variable.min }),
          ...(variable.max === undefined ? {} : { maxLimit: variable.max }),
          ...(variable.valuesList === undefined ? {} : { valuesList: variable.valuesList }),
        },
      }));
  }
}
