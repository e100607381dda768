{
  "patcher": {
    "fileversion": 1,
    "appversion": {
      "major": 8,
      "minor": 5,
      "revision": 0,
      "architecture": "x64",
      "modernui": 1
    },
    "classnamespace": "box",
    "rect": [
      100.0,
      100.0,
      1100.0,
      420.0
    ],
    "gridsize": [
      15.0,
      15.0
    ],
    "boxes": [
      {
        "box": {
          "id": "c1",
          "maxclass": "comment",
          "numinlets": 1,
          "numoutlets": 0,
          "linecount": 3,
          "patching_rect": [
            20,
            10,
            620,
            60.0
          ],
          "text": "pagebridge over OSC from Max: numbers, no JSON. Start the bridge (npm start), open its page's camera or send queries from any tool; click the connect message. Written from Max's documentation of udpsend, udpreceive and route; not run by pagebridge's tests."
        }
      },
      {
        "box": {
          "id": "m-connect",
          "maxclass": "message",
          "numinlets": 2,
          "numoutlets": 1,
          "patching_rect": [
            20,
            80,
            220,
            22.0
          ],
          "text": "/server/connect 9000 numeric 2",
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "m-disconnect",
          "maxclass": "message",
          "numinlets": 2,
          "numoutlets": 1,
          "patching_rect": [
            260,
            80,
            171,
            22.0
          ],
          "text": "/server/disconnect 9000",
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "c2",
          "maxclass": "comment",
          "numinlets": 1,
          "numoutlets": 0,
          "linecount": 2,
          "patching_rect": [
            20,
            110,
            620,
            40.0
          ],
          "text": "Register port 9000 for numeric answers with two face slots (Max sends 9000 as i, numeric as s). Send the connect again now and then if the patch only listens for hours (registrations expire after an hour without a datagram)."
        }
      },
      {
        "box": {
          "id": "udpsend",
          "maxclass": "newobj",
          "numinlets": 1,
          "numoutlets": 0,
          "patching_rect": [
            20,
            160,
            171,
            22.0
          ],
          "text": "udpsend 127.0.0.1 57100"
        }
      },
      {
        "box": {
          "id": "udpreceive",
          "maxclass": "newobj",
          "numinlets": 1,
          "numoutlets": 1,
          "patching_rect": [
            20,
            220,
            115,
            22.0
          ],
          "text": "udpreceive 9000",
          "outlettype": [
            ""
          ]
        }
      },
      {
        "box": {
          "id": "route",
          "maxclass": "newobj",
          "numinlets": 1,
          "numoutlets": 7,
          "patching_rect": [
            20,
            260,
            900,
            22.0
          ],
          "text": "route /face-detection/faces/count /face-detection/faces/0/box /face-detection/faces/0/score /face-detection/faces/1/box /face-detection/faces/1/score /error",
          "outlettype": [
            "",
            "",
            "",
            "",
            "",
            "",
            ""
          ]
        }
      },
      {
        "box": {
          "id": "p0",
          "maxclass": "newobj",
          "numinlets": 1,
          "numoutlets": 0,
          "patching_rect": [
            20,
            310,
            129,
            22.0
          ],
          "text": "print faces-count"
        }
      },
      {
        "box": {
          "id": "p1",
          "maxclass": "newobj",
          "numinlets": 1,
          "numoutlets": 0,
          "patching_rect": [
            170,
            310,
            122,
            22.0
          ],
          "text": "print face-0-box"
        }
      },
      {
        "box": {
          "id": "p2",
          "maxclass": "newobj",
          "numinlets": 1,
          "numoutlets": 0,
          "patching_rect": [
            320,
            310,
            136,
            22.0
          ],
          "text": "print face-0-score"
        }
      },
      {
        "box": {
          "id": "p3",
          "maxclass": "newobj",
          "numinlets": 1,
          "numoutlets": 0,
          "patching_rect": [
            470,
            310,
            122,
            22.0
          ],
          "text": "print face-1-box"
        }
      },
      {
        "box": {
          "id": "p4",
          "maxclass": "newobj",
          "numinlets": 1,
          "numoutlets": 0,
          "patching_rect": [
            620,
            310,
            136,
            22.0
          ],
          "text": "print face-1-score"
        }
      },
      {
        "box": {
          "id": "p5",
          "maxclass": "newobj",
          "numinlets": 1,
          "numoutlets": 0,
          "patching_rect": [
            770,
            310,
            87,
            22.0
          ],
          "text": "print error"
        }
      },
      {
        "box": {
          "id": "pother",
          "maxclass": "newobj",
          "numinlets": 1,
          "numoutlets": 0,
          "patching_rect": [
            920,
            310,
            87,
            22.0
          ],
          "text": "print other"
        }
      },
      {
        "box": {
          "id": "c3",
          "maxclass": "comment",
          "numinlets": 1,
          "numoutlets": 0,
          "linecount": 2,
          "patching_rect": [
            20,
            350,
            620,
            40.0
          ],
          "text": "Boxes are x y width height in 0..1 of the image; an empty slot is all zeros. Keypoints: /face-detection/faces/0/keypoints, six x y pairs. Other models: see docs/protocols.md (numeric OSC)."
        }
      }
    ],
    "lines": [
      {
        "patchline": {
          "source": [
            "route",
            0
          ],
          "destination": [
            "p0",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "route",
            1
          ],
          "destination": [
            "p1",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "route",
            2
          ],
          "destination": [
            "p2",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "route",
            3
          ],
          "destination": [
            "p3",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "route",
            4
          ],
          "destination": [
            "p4",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "route",
            5
          ],
          "destination": [
            "p5",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "route",
            6
          ],
          "destination": [
            "pother",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "m-connect",
            0
          ],
          "destination": [
            "udpsend",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "m-disconnect",
            0
          ],
          "destination": [
            "udpsend",
            0
          ]
        }
      },
      {
        "patchline": {
          "source": [
            "udpreceive",
            0
          ],
          "destination": [
            "route",
            0
          ]
        }
      }
    ]
  }
}
