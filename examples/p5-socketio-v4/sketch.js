// Faces in the webcam, from a p5.js sketch over Socket.IO (socket.io-client 4.x), as with Runway: the
// canvas goes to the bridge as a JPEG data URI (`query`), the boxes come back in `data` events. The next
// frame goes once the last one is answered. Outputs caused elsewhere (HTTP, the page) show up too.
// A bridge on another port: open this page with ?bridge=http://127.0.0.1:3001 (and change the script tag).
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
  if (typeof io === 'undefined') {
    status = 'no Socket.IO client: start the bridge (npm start), then reload this page';
    return;
  }
  socket = io(BRIDGE);
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
    // A refused page can read why (e.g. which --allow-origin lets it in) in the bridge's answer.
    const text = err.context && err.context.responseText;
    let why = err.message;
    try { why = JSON.parse(text).message; } catch { /* not the bridge's answer */ }
    status = 'cannot connect to ' + BRIDGE + ': ' + why;
  });
}

function draw() {
  image(video, 0, 0, width, height);
  // This frame goes before the boxes are drawn on it, and only when the last one has been answered.
  if (socket && socket.connected && !waiting && video.loadedmetadata) {
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
