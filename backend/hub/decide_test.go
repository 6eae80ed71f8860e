package hub

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDecide(t *testing.T) {
	capable := Capabilities{Wasm: true, Cores: 8, Memory: 8}
	idle := Load{LiveWorkers: 2, QueueDepth: 0, RecentTrace: 40 * time.Millisecond}
	p := DefaultPolicy
	for _, tc := range []struct {
		name   string
		in     PlanInput
		tracer string
	}{
		{"SmallPhotoCapableClient", PlanInput{capable, 1_800_000, 8_000_000, idle}, TracerClient},
		{"AtTheByteLimit", PlanInput{capable, 4_000_000, 1_000_000, idle}, TracerClient},
		{"OverTheByteLimit", PlanInput{capable, 4_000_001, 1_000_000, idle}, TracerServer},
		{"AtThePixelLimit", PlanInput{capable, 1_000, 12_000_000, idle}, TracerClient},
		{"OverThePixelLimit", PlanInput{capable, 1_000, 12_000_001, idle}, TracerServer},
		{"NoWasm", PlanInput{Capabilities{Cores: 8}, 1_000, 1_000, idle}, TracerServer},
		{"NoWasmNoWorkers", PlanInput{Capabilities{}, 1_000, 1_000, Load{}}, TracerServer},
		{"NoLiveWorkerLargeFile", PlanInput{capable, 20_000_000, 40_000_000, Load{QueueDepth: 3}}, TracerClient},
		{"LongQueueLargeFile", PlanInput{capable, 20_000_000, 40_000_000,
			Load{LiveWorkers: 2, QueueDepth: 400, RecentTrace: 50 * time.Millisecond}}, TracerClient},
		{"QueueJustUnderTheWait", PlanInput{capable, 20_000_000, 1_000,
			Load{LiveWorkers: 2, QueueDepth: 200, RecentTrace: 50 * time.Millisecond}}, TracerServer},
		{"CapabilitiesUnknownButWasm", PlanInput{Capabilities{Wasm: true}, 1_000, 1_000, idle}, TracerClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in, p)
			assert.Equal(t, tc.tracer, d.Tracer, d.Reason)
			assert.NotEmpty(t, d.Reason)
			if d.Tracer == TracerClient {
				assert.Equal(t, p.ClientDeadline, d.Deadline)
			} else {
				assert.Zero(t, d.Deadline)
			}
		})
	}
}

func TestDecideHonoursPolicy(t *testing.T) {
	in := PlanInput{Capabilities{Wasm: true}, 1_000, 1_000, Load{LiveWorkers: 1}}
	low := DefaultPolicy
	low.ClientMaxBytes = 10 // tests send small files to the backend this way
	assert.Equal(t, TracerServer, Decide(in, low).Tracer)
	low.ClientMaxBytes, low.ClientMaxPixels = 1_000, 10
	assert.Equal(t, TracerServer, Decide(in, low).Tracer)
}

func TestEstimateWait(t *testing.T) {
	for _, tc := range []struct {
		l    Load
		want time.Duration
	}{
		{Load{}, 0},
		{Load{LiveWorkers: 2, QueueDepth: 0, RecentTrace: time.Second}, 0},
		{Load{LiveWorkers: 2, QueueDepth: 1, RecentTrace: time.Second}, time.Second},
		{Load{LiveWorkers: 2, QueueDepth: 2, RecentTrace: time.Second}, time.Second},
		{Load{LiveWorkers: 2, QueueDepth: 3, RecentTrace: time.Second}, 2 * time.Second},
		{Load{LiveWorkers: 0, QueueDepth: 50, RecentTrace: time.Second}, 0},
	} {
		assert.Equal(t, tc.want, EstimateWait(tc.l), "%+v", tc.l)
	}
}
