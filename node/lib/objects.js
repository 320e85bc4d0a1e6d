// Remote objects, the JavaScript side of what a QObject is to libipc: an
// interface (signals, methods, properties with Qt type names, as
// docs/PROTOCOL.md section 7c describes it) and the checks a value passes
// before it reaches a method.
import { InvalidArgument, InvalidConfiguration } from './errors.js';

const INTEGERS = new Set(['int', 'uint', 'short', 'ushort', 'char', 'uchar', 'qlonglong', 'qulonglong', 'long',
  'ulong', 'qint64', 'quint64', 'qint32', 'quint32', 'qint16', 'quint16', 'qint8', 'quint8']);

// JavaScript-flavoured names a spec may use, and the Qt names they stand for.
const ALIASES = { number: 'double', string: 'QString', boolean: 'bool', bytes: 'QByteArray', Buffer: 'QByteArray',
  array: 'QVariantList', object: 'QVariantMap', any: 'QVariant', Date: 'QDateTime' };

export function qtType(name) {
  if (typeof name !== 'string' || !name) throw new InvalidConfiguration(`a type is a Qt type name such as "double" or "QString"; got ${String(name)}`);
  return ALIASES[name] ?? name;
}

/** `value` as a parameter of `type` takes it (an integer takes a float without a fraction, as in C++), or InvalidArgument naming `what`. */
export function checkValue(value, type, what) {
  const refuse = () => new InvalidArgument(`${what} takes ${type}; got ${describe(value)}`);
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw refuse();
  } else if (INTEGERS.has(type)) {
    if (typeof value === 'bigint') return value;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw refuse();
  } else if (type === 'double' || type === 'float') {
    if (typeof value === 'bigint') return Number(value);
    if (typeof value !== 'number') throw refuse();
  } else if (type === 'QString') {
    if (typeof value !== 'string') throw refuse();
  } else if (type === 'QByteArray') {
    if (!(value instanceof Uint8Array)) throw refuse();
  } else if (type === 'QVariantList' || type === 'QStringList' || type.startsWith('QList<')) {
    if (!Array.isArray(value)) throw refuse();
  } else if (type === 'QVariantMap' || type === 'QVariantHash') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refuse();
  }
  return value;
}

function describe(value) {
  const text = typeof value === 'string' ? `'${value}'` : String(value);
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `${kind} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

function parameters(list, where) {
  return (list ?? []).map((entry) => {
    if (typeof entry === 'string') return { type: qtType(entry), name: '' };
    if (Array.isArray(entry)) return { type: qtType(entry[0]), name: entry[1] ?? '' };
    if (entry && typeof entry === 'object') return { type: qtType(entry.type), name: entry.name ?? '' };
    throw new InvalidConfiguration(`${where}: a parameter is a type name, [type, name] or { type, name }`);
  });
}

const signature = (member) => `${member.name}(${member.parameters.map((p) => p.type).join(',')})`;

/** What an object offers, as a replica is told on acquire. */
export class Interface {
  constructor(className, signals = [], methods = [], properties = []) {
    this.className = className;
    this.signals = signals; // [{ name, parameters: [{ type, name }] }]
    this.methods = methods; // [{ name, parameters, returns }]
    this.properties = properties; // [{ name, type, writable, notify }]
  }

  /**
   * From a spec: `{ className, properties: { name: type | { type, readonly, notify } },
   * signals: { name: [param, ...] }, methods: { name: { parameters: [...], returns } | [param, ...] } }`,
   * where a param is a type, `[type, name]` or `{ type, name }`. Each property gets a notify
   * signal `<name>Changed(type)` unless it names one.
   */
  static fromSpec(spec, fallbackName = 'Object') {
    if (!spec || typeof spec !== 'object') throw new InvalidConfiguration('an exposed object needs a spec of its members');
    const className = spec.className ?? fallbackName;
    const signals = Object.entries(spec.signals ?? {}).map(([name, list]) => ({ name, parameters: parameters(list, `${className}.${name}`) }));
    const properties = [];
    for (const [name, entry] of Object.entries(spec.properties ?? {})) {
      const options = typeof entry === 'string' ? { type: entry } : entry;
      const type = qtType(options.type);
      const notifyName = options.notify ?? `${name}Changed`;
      let notify = signals.findIndex((s) => s.name === notifyName);
      if (notify < 0) {
        if (options.notify) throw new InvalidConfiguration(`the property ${name} of ${className} names the notify signal ${notifyName}, which the spec does not have`);
        notify = signals.push({ name: notifyName, parameters: [{ type, name }] }) - 1;
      }
      properties.push({ name, type, writable: !options.readonly, notify });
    }
    const methods = Object.entries(spec.methods ?? {}).map(([name, entry]) => {
      const options = Array.isArray(entry) ? { parameters: entry } : entry ?? {};
      return { name, parameters: parameters(options.parameters, `${className}.${name}`), returns: options.returns ? qtType(options.returns) : 'void' };
    });
    return new Interface(className, signals, methods, properties);
  }

  toCbor() {
    const member = (m, withResult) => ({
      name: m.name,
      parameters: m.parameters.map((p) => ({ type: p.type, name: p.name })),
      ...(withResult ? { returns: m.returns } : {}),
    });
    return {
      class: this.className,
      signals: this.signals.map((s) => member(s, false)),
      methods: this.methods.map((m) => member(m, true)),
      properties: this.properties.map((p) => ({ name: p.name, type: p.type, writable: p.writable, ...(p.notify !== null ? { notify: p.notify } : {}) })),
    };
  }

  /** A source's interface; InvalidArgument names what is malformed. */
  static fromCbor(value) {
    try {
      const members = (list, withResult) => list.map((entry) => ({
        name: String(entry.name),
        parameters: entry.parameters.map((p) => ({ type: String(p.type), name: String(p.name ?? '') })),
        returns: withResult ? String(entry.returns ?? 'void') : 'void',
      }));
      const properties = value.properties.map((p) => ({ name: String(p.name), type: String(p.type), writable: Boolean(p.writable), notify: Number.isInteger(p.notify) ? p.notify : null }));
      return new Interface(String(value.class), members(value.signals, false), members(value.methods, true), properties);
    } catch (error) {
      throw new InvalidArgument(`the source's interface is malformed (${error.message})`);
    }
  }

  static signature(member) {
    return signature(member);
  }

  /** The index of a member by name or signature; throws with what the interface has. */
  find(kind, name) {
    const list = kind === 'signal' ? this.signals : kind === 'method' ? this.methods : this.properties;
    const index = list.findIndex((m) => m.name === name || (kind !== 'property' && signature(m) === name));
    if (index < 0) {
      const names = list.map((m) => (kind === 'property' ? m.name : signature(m))).join(', ') || 'none';
      throw new RangeError(`${this.className} has no ${kind} ${name} (it has ${names})`);
    }
    return index;
  }
}
