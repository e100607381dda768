// Face detection from a p5.js sketch over Socket.IO, as with Runway: emit `query` with an image as a data
// URI, draw the boxes that the `data` event brings. Outputs caused elsewhere (HTTP, the page) show up too.
const BRIDGE = 'http://127.0.0.1:3000'; // the bridge's --socketio-port

let socket;
let picture;
let faces = [];
let status = 'connecting to ' + BRIDGE + ' …';

function setup() {
  createCanvas(512, 540); // the picture in 512×512, the status line below it
  createFileInput(onFile).attribute('accept', 'image/*');
  if (typeof io === 'undefined') {
    status = 'no Socket.IO client: start the bridge (npm start), then reload this page';
    return;
  }
  socket = io(BRIDGE);
  socket.on('info', (info) => {
    status = 'connected; the model takes ' + info.inputs.map((p) => p.name + ' (' + p.type + ')').join(', ');
    // A picture of a face that ships with pagebridge (when this page is served from the repository root).
    loadImage('../../test/fixtures/astronaut.jpg', query, () => { status = 'connected: pick an image'; });
  });
  socket.on('data', (output) => {
    faces = output.faces || [];
    status = faces.length + (faces.length === 1 ? ' face' : ' faces');
  });
  socket.on('error', (e) => { status = 'error: ' + (e && e.error ? e.error : e); });
  socket.on('connect_error', (e) => { status = 'cannot connect to ' + BRIDGE + ': ' + e.message; });
}

function onFile(file) {
  if (file.type === 'image') loadImage(file.data, query);
  else status = 'not an image: ' + file.name;
}

function query(img) {
  picture = img;
  faces = [];
  status = 'looking for faces …';
  socket.emit('query', { image: img.canvas.toDataURL('image/jpeg', 0.9) });
}

function draw() {
  background(235);
  if (picture) {
    const scale = min(512 / picture.width, 512 / picture.height);
    const w = picture.width * scale;
    const h = picture.height * scale;
    image(picture, 0, 0, w, h);
    // Boxes and keypoints are in 0..1 of the image.
    noFill();
    stroke(0, 255, 0);
    strokeWeight(2);
    for (const face of faces) {
      const [x, y, bw, bh] = face.box;
      rect(x * w, y * h, bw * w, bh * h);
      for (const [kx, ky] of face.keypoints || []) circle(kx * w, ky * h, 4);
    }
  }
  noStroke();
  fill(0);
  text(status, 10, height - 10);
}
