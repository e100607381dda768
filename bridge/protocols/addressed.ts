// Who hears a model's outputs and failures. A client addresses a model by its id (Socket.IO's
// `/models/<id>`, OSC's `/models/<id>/…`) or as the default model (Socket.IO's `/`, OSC's unprefixed
// addresses): the default model's events reach both.

/** How `model` is addressed: by its id, and also as the default (undefined) while it is the default model. */
export function addressedAs(model: string, defaultModel: string | undefined): (string | undefined)[] {
  return model === defaultModel ? [model, undefined] : [model];
}
