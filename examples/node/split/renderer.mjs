// The "renderer" of main.mjs: what a web page would do with the values and
// events main passes on. It asks for a description, sets a new target, and
// ends once the temperature has moved after the target change.
let nextId = 1;
const pending = new Map();
const invoke = (name, ...args) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  process.send({ id, name, args });
});

let targetSet = false;
process.on('message', async ({ channel, data }) => {
  if (channel === 'reply') {
    const { resolve, reject } = pending.get(data.id);
    pending.delete(data.id);
    if (data.error) reject(new Error(data.error));
    else resolve(data.value);
  } else if (channel === 'thermostat' && data.signal === 'snapshot') {
    console.log(`renderer: snapshot ${JSON.stringify(data.args[0])}`);
    console.log(`renderer: ${await invoke('describe')}`);
    await invoke('set-target', 25);
  } else if (channel === 'thermostat') {
    console.log(`renderer: ${data.signal}(${data.args.join(', ')})`);
    if (data.signal === 'targetChanged') targetSet = true;
    if (targetSet && data.signal === 'temperatureChanged') process.disconnect(); // seen enough: the page closes
  } else if (channel === 'thermostat-state') {
    console.log(`renderer: the thermostat is ${data}`);
  }
});
