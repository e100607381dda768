// A body's pose in the webcam, from a p5.js sketch over Socket.IO (socket.io-client 4.x): the canvas goes to
// the bridge's `body-pose` model (namespace /models/body-pose) as a JPEG data URI, the pose comes back in
// the query's acknowledgement and is drawn as a skeleton over the video. The next frame goes once the last
// one is answered. This socket's frames follow one another, so the bridge tracks the body from frame to
// frame and runs the detector only when it is lost (`tracked` in the answer).
// A bridge on another port: open this page with ?bridge=http://127.0.0.1:3001 (and change the script tag).
const BRIDGE = new URLSearchParams(location.search).get('bridge') || 'http://127.0.0.1:3000';

// BlazePose's connections (MediaPipe's POSE_CONNECTIONS, as web/runtime/adapters/body-pose.ts has them), by name.
const BONES = [
  ['nose', 'left_eye_inner'], ['left_eye_inner', 'left_eye'], ['left_eye', 'left_eye_outer'], ['left_eye_outer', 'left_ear'],
  ['nose', 'right_eye_inner'], ['right_eye_inner', 'right_eye'], ['right_eye', 'right_eye_outer'], ['right_eye_outer', 'right_ear'],
  ['mouth_left', 'mouth_right'], ['left_shoulder', 'right_shoulder'],
  ['left_shoulder', 'left_elbow'], ['left_elbow', 'left_wrist'], ['left_wrist', 'left_pinky'], ['left_wrist', 'left_index'],
  ['left_wrist', 'left_thumb'], ['left_pinky', 'left_index'],
  ['right_shoulder', 'right_elbow'], ['right_elbow', 'right_wrist'], ['right_wrist', 'right_pinky'], ['right_wrist', 'right_index'],
  ['right_wrist', 'right_thumb'], ['right_pinky', 'right_index'],
  ['left_shoulder', 'left_hip'], ['right_shoulder', 'right_hip'], ['left_hip', 'right_hip'],
  ['left_hip', 'left_knee'], ['right_hip', 'right_knee'], ['left_knee', 'left_ankle'], ['right_knee', 'right_ankle'],
  ['left_ankle', 'left_heel'], ['right_ankle', 'right_heel'], ['left_heel', 'left_foot_index'], ['right_heel', 'right_foot_index'],
  ['left_ankle', 'left_foot_index'], ['right_ankle', 'right_foot_index'],
];
// A keypoint's score is its visibility: parts hidden or out of the picture are left out below this.
const MIN_SCORE = 0.5;

let canvas;
let video;
let socket;
let poses = [];
let waiting = false; // a frame is with the bridge
let status = 'connecting to ' + BRIDGE + ' …';
// What the last draw() drew (bones, and the nose in canvas pixels): for tests, or to check the sketch.
window.drawn = { bones: 0, nose: null };

function setup() {
  canvas = createCanvas(640, 480);
  video = createCapture(VIDEO);
  video.size(640, 480);
  video.hide();
  if (typeof io === 'undefined') {
    status = 'no Socket.IO client: start the bridge (npm start), then reload this page';
    return;
  }
  socket = io(BRIDGE + '/models/body-pose');
  socket.on('connect', () => { waiting = false; });
  socket.on('info', () => { status = 'connected to body-pose'; });
  // Errors of the namespace itself (no such model on the bridge: start it with body-pose).
  socket.on('error', (e) => { status = 'error: ' + (e && e.error ? e.error : e); });
  socket.on('connect_error', (err) => {
    // A refused page can read why (e.g. which --allow-origin lets it in) in the bridge's answer.
    const text = err.context && err.context.responseText;
    let why = err.message;
    try { why = JSON.parse(text).message; } catch { /* not the bridge's answer */ }
    status = 'cannot connect to ' + BRIDGE + ': ' + why;
  });
}

// The answer to this sketch's own frame; `data` events would bring other clients' poses too.
function answered(output) {
  waiting = false;
  if (output.error) {
    status = 'error: ' + output.error;
    return;
  }
  poses = output.poses || [];
  status = poses.length === 0 ? 'no one' : 'pose' + (output.tracked ? ' (tracked)' : ' (detected)');
}

function draw() {
  image(video, 0, 0, width, height);
  // This frame goes before the skeleton is drawn on it, and only when the last one has been answered.
  if (socket && socket.connected && !waiting && video.loadedmetadata) {
    waiting = true;
    socket.emit('query', { image: canvas.elt.toDataURL('image/jpeg', 0.8) }, answered);
  }
  window.drawn = drawPoses(poses);
  noStroke();
  fill(255);
  text(status, 10, height - 10);
}

// Keypoints are in 0..1 of the image (parts out of the picture beyond it).
function drawPoses(list) {
  const drawn = { bones: 0, nose: null };
  for (const pose of list) {
    const at = {};
    for (const k of pose.keypoints) if (k.score >= MIN_SCORE) at[k.name] = [k.x * width, k.y * height];
    stroke(0, 230, 118);
    strokeWeight(4);
    for (const [a, b] of BONES) {
      if (!at[a] || !at[b]) continue;
      line(at[a][0], at[a][1], at[b][0], at[b][1]);
      drawn.bones++;
    }
    fill(255);
    strokeWeight(2);
    for (const [x, y] of Object.values(at)) circle(x, y, 8);
    drawn.nose = drawn.nose || at.nose || null;
  }
  return drawn;
}
