#!/usr/bin/env python3
"""oip_conformance.py -- talks to an Open Inference Protocol V2 server with two clients nobody here
wrote: KServe's InferenceRESTClient (the `kserve` package) and Triton's HTTP client
(`tritonclient[http]`). Used by Tests/ServingTests/ServeProcessTests.swift.

    python3 oip_conformance.py URL MODEL INPUT.json [--token TOKEN]

INPUT.json: {"pixels": [[784 ints 0-255], ...]}. Checks liveness, readiness, server and model
metadata and model readiness, then infers the pixels as UINT8 [N, 784] (kserve), as UINT8
[N, 28, 28] and as FP32 [N, 784] scaled by 1/255 (tritonclient), and an unknown model (must fail
with 404). Prints one JSON object: what each client answered, for the test to compare with the
model's own forward pass. Exits 1 with a message on the first check that fails.
"""
import argparse
import asyncio
import json
import sys

import numpy as np


def fail(message):
    print(f"oip_conformance: {message}", file=sys.stderr)
    sys.exit(1)


async def with_kserve(url, model, pixels, headers):
    from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig

    client = InferenceRESTClient(RESTConfig(protocol="v2", retries=0, timeout=30))
    try:
        live = await client.is_server_live(url, headers=headers)
        ready = await client.is_server_ready(url, headers=headers)
        model_ready = await client.is_model_ready(url, model, headers=headers)
        unknown_ready = await client.is_model_ready(url, model + "-unknown", headers=headers)
        tensor = InferInput(name="input", shape=list(pixels.shape), datatype="UINT8")
        tensor.set_data_from_numpy(pixels, binary_data=False)
        request = InferRequest(model_name=model, infer_inputs=[tensor], request_id="kserve-1")
        response = await client.infer(url, request, model_name=model, headers=headers)
        outputs = {output.name: output.as_numpy() for output in response.outputs}
        if response.id != "kserve-1":
            fail(f"kserve: response id {response.id!r}, expected 'kserve-1'")
        if response.model_name != model:
            fail(f"kserve: response model_name {response.model_name!r}, expected {model!r}")
        return {
            "live": live, "ready": ready, "model_ready": model_ready, "unknown_model_ready": unknown_ready,
            "probabilities": outputs["probabilities"].tolist(), "class": outputs["class"].tolist(),
            "probabilities_shape": list(outputs["probabilities"].shape),
        }
    finally:
        await client.close()


def with_triton(url, model, pixels, headers):
    import tritonclient.http as http
    from tritonclient.utils import InferenceServerException

    host = url.split("://", 1)[1]
    client = http.InferenceServerClient(url=host, connection_timeout=30, network_timeout=30)
    try:
        result = {
            "live": client.is_server_live(headers=headers),
            "ready": client.is_server_ready(headers=headers),
            "model_ready": client.is_model_ready(model, headers=headers),
            "server_metadata": client.get_server_metadata(headers=headers),
            "model_metadata": client.get_model_metadata(model, headers=headers),
        }
        images = pixels.reshape(pixels.shape[0], 28, 28)
        uint8_input = http.InferInput("input", list(images.shape), "UINT8")
        uint8_input.set_data_from_numpy(images, binary_data=False)
        outputs = [http.InferRequestedOutput("class", binary_data=False),
                   http.InferRequestedOutput("probabilities", binary_data=False)]
        answer = client.infer(model, [uint8_input], outputs=outputs, headers=headers)
        result["image_class"] = answer.as_numpy("class").tolist()
        result["image_probabilities"] = answer.as_numpy("probabilities").tolist()
        fp32 = (pixels.astype(np.float32) / np.float32(255)).astype(np.float32)
        fp32_input = http.InferInput("input", list(fp32.shape), "FP32")
        fp32_input.set_data_from_numpy(fp32, binary_data=False)
        # No outputs named: the client asks for binary outputs, which this server answers as JSON.
        answer = client.infer(model, [fp32_input], headers=headers)
        result["fp32_class"] = answer.as_numpy("class").tolist()
        try:
            client.get_model_metadata(model + "-unknown", headers=headers)
            fail("tritonclient: metadata of an unknown model did not fail")
        except InferenceServerException as error:
            result["unknown_model_error"] = {"status": error.status(), "message": error.message()}
        return result
    finally:
        client.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("model")
    parser.add_argument("input")
    parser.add_argument("--token")
    args = parser.parse_args()
    pixels = np.array(json.load(open(args.input))["pixels"], dtype=np.uint8)
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else None
    result = {
        "kserve": asyncio.run(with_kserve(args.url, args.model, pixels, headers)),
        "triton": with_triton(args.url, args.model, pixels, headers),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
