// Faces in the webcam, from a p5.js sketch over Socket.IO with socket.io-client 2.x, as Runway's p5.js
// examples did: the canvas goes to the bridge as a JPEG data URI (`query`), the boxes come back in `data`
// events. The next frame goes once the last one is answered. Outputs caused elsewhere show up too.
// A bridge on another port: open this page with ?bridge=http://127.0.0.1:3001
const BRIDGE = new URLSearchParams(location.search).get('bridge') || 'http://127.0.0.1:3000';

let canvas;
let video;
let socket;
let faces = [];
let waiting = false; // a frame is with the bridge
let status = 'connecting to ' + BRIDGE + ' …';

function setup() {
  canvas = createCanvas(640, 480);
  video = createCapture(VIDEO);
  video.size(640, 480);
  video.hide();
  socket = io.connect(BRIDGE);
  socket.on('connect', () => { waiting = false; });
  socket.on('info', (info) => {
    status = 'connected; the model takes ' + info.inputs.map((p) => p.name + ' (' + p.type + ')').join(', ');
  });
  socket.on('data', (output) => {
    faces = output.faces || [];
    waiting = false;
    status = faces.length + (faces.length === 1 ? ' face' : ' faces');
  });
  socket.on('error', (e) => {
    waiting = false;
    status = 'error: ' + (e && e.error ? e.error : e);
  });
  socket.on('connect_error', (err) => {
    status = 'cannot connect to ' + BRIDGE + ': ' + err.message + ' (is the bridge running? npm start)';
    // 2.x says only "xhr poll error" (403); the bridge's answer to a handshake says why, e.g. which
    // --allow-origin lets this page in.
    if (err.description === 403) {
      fetch(BRIDGE + '/socket.io/?EIO=3&transport=polling')
        .then((res) => res.json())
        .then((body) => { status = 'cannot connect to ' + BRIDGE + ': ' + body.message; }, () => {});
    }
  });
}

function draw() {
  image(video, 0, 0, width, height);
  // This frame goes before the boxes are drawn on it, and only when the last one has been answered.
  if (socket.connected && !waiting && video.loadedmetadata) {
    waiting = true;
    socket.emit('query', { image: canvas.elt.toDataURL('image/jpeg', 0.8) });
  }
  // Boxes and keypoints are in 0..1 of the image.
  noFill();
  stroke(0, 230, 118);
  strokeWeight(3);
  for (const face of faces) {
    const [x, y, w, h] = face.box;
    rect(x * width, y * height, w * width, h * height);
    for (const [kx, ky] of face.keypoints || []) circle(kx * width, ky * height, 6);
  }
  noStroke();
  fill(255);
  text(status, 10, height - 10);
}
